using System.Globalization;

namespace Canal.Benchmarks.Scale;

/// <summary>Peak resident memory as Linux keeps it (VmHWM in /proc/PID/status).</summary>
internal static class ProcessMemory
{
    public static long PeakWorkingSet(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }

    /// <summary>Starts the peak over from the current size (writing 5 to clear_refs), for a fresh in-process measurement.</summary>
    public static void ResetPeak() => File.WriteAllText("/proc/self/clear_refs", "5");
}
