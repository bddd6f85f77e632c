using System.IO.Enumeration;
using Canal.Istio;

namespace Canal.Node.Local;

/// <summary>A directory of manifests (YAML or JSON, searched recursively) as local mode's source of objects.</summary>
internal static class ManifestDirectory
{
    private static readonly string[] Extensions = [".yaml", ".yml", ".json"];

    public static Manifests Read(string directory)
    {
        if (!Directory.Exists(directory))
            throw new DirectoryNotFoundException($"manifest directory {directory} does not exist");
        var result = Manifests.Empty;
        var files = new FileSystemEnumerable<string>(directory, (ref entry) => entry.ToFullPath(), new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
        {
            ShouldIncludePredicate = (ref entry) => !entry.IsDirectory && Extensions.Contains(Path.GetExtension(entry.ToFullPath()), StringComparer.OrdinalIgnoreCase),
            // Symbolic links to directories are not entered: one pointing up the tree made the walk endless.
            // Linked files (as in a ConfigMap volume) are read.
            ShouldRecursePredicate = (ref entry) => !entry.Attributes.HasFlag(FileAttributes.ReparsePoint),
        }.Order(StringComparer.Ordinal);
        foreach (var file in files)
        {
            var source = Path.GetRelativePath(directory, file);
            string text;
            try
            {
                text = File.ReadAllText(file);
            }
            catch (IOException e)
            {
                result = result.Concat(Manifests.Empty with { Errors = [new ManifestError(source, null, null, $"cannot be read: {e.Message}")] });
                continue;
            }
            result = result.Concat(ManifestReader.Read(text, source));
        }
        return result;
    }
}
