namespace Canal.Tests.Support;

/// <summary>The repository's samples/ as copied to the test output.</summary>
internal static class Samples
{
    public static readonly string Helloworld = Path.Combine(AppContext.BaseDirectory, "Samples", "helloworld");
    public static readonly string GatewayApi = Path.Combine(AppContext.BaseDirectory, "Samples", "gateway-api");

    /// <summary>Copies a sample's manifests into <paramref name="directory"/> (made if missing) and answers it: a local-mode run's manifest directory.</summary>
    public static string CopyTo(string sample, string directory)
    {
        Directory.CreateDirectory(directory);
        foreach (var file in Directory.GetFiles(sample, "*.yaml"))
            File.Copy(file, Path.Combine(directory, Path.GetFileName(file)));
        return directory;
    }

    /// <summary>A sample's manifests, one YAML text per file.</summary>
    public static IEnumerable<string> Manifests(string sample) => Directory.GetFiles(sample, "*.yaml").Select(File.ReadAllText);
}
