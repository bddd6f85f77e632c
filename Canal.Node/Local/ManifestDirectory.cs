using System.IO.Enumeration;
using Canal.Istio;
using Canal.Reading;

namespace Canal.Node.Local;

/// <summary>A directory of manifests (YAML or JSON, searched recursively) as local mode's source of objects.</summary>
internal static class ManifestDirectory
{
    private static readonly string[] Extensions = [".yaml", ".yml", ".json"];

    public static Manifests Read(string directory) =>
        ReadFiles(directory).Aggregate(Manifests.Empty, (all, file) => all.Concat(file.Manifests));

    /// <summary>Each manifest file (path relative to <paramref name="directory"/>) with what it holds, in path order.</summary>
    public static IReadOnlyList<(string Source, Manifests Manifests)> ReadFiles(string directory)
    {
        if (!Directory.Exists(directory))
            throw new DirectoryNotFoundException($"manifest directory {directory} does not exist");
        var files = new FileSystemEnumerable<string>(directory, (ref entry) => entry.ToFullPath(), new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
        {
            ShouldIncludePredicate = (ref entry) => !entry.IsDirectory && IsManifest(entry.FileName.ToString()),
            // Symbolic links to directories are not entered (one pointing up the tree made the walk endless),
            // nor hidden directories (.git, and the ..2024_… copy behind a ConfigMap volume's linked files).
            ShouldRecursePredicate = (ref entry) => !entry.Attributes.HasFlag(FileAttributes.ReparsePoint) && !entry.FileName.StartsWith("."),
        };
        return [.. files.Order(StringComparer.Ordinal).Select(file => (Path.GetRelativePath(directory, file), ReadFile(file, Path.GetRelativePath(directory, file))))];
    }

    public static bool IsManifest(string path) => Extensions.Contains(Path.GetExtension(path), StringComparer.OrdinalIgnoreCase);

    private static Manifests ReadFile(string file, string source)
    {
        try
        {
            return ManifestReader.Read(File.ReadAllText(file), source);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Manifests.Empty with { Errors = [new ManifestError(source, null, null, $"cannot be read: {e.Message}")] };
        }
    }
}
