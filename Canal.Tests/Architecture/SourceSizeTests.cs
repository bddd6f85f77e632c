namespace Canal.Tests.Architecture;

/// <summary>Product files stay small enough to read in one sitting: a file past the limit is split where its parts meet.</summary>
public sealed class SourceSizeTests
{
    private const int Limit = 250;
    private static readonly string[] Products = ["Canal.Core", "Canal.Actors", "Canal.Node", "Canal.Cmd", "Canal.Contracts"];

    [Fact]
    public void No_product_source_file_is_longer_than_250_lines()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root != null && !File.Exists(Path.Combine(root.FullName, "Canal.sln")))
            root = root.Parent;
        Assert.True(root != null, "the checkout holding Canal.sln is not above the test output");

        var files = Products.SelectMany(p => Directory.EnumerateFiles(Path.Combine(root.FullName, p), "*.cs", SearchOption.AllDirectories))
            .Where(f => !f.Split(Path.DirectorySeparatorChar).Intersect(["bin", "obj"]).Any())
            .ToList();
        var tooLong = files.Select(f => (File: Path.GetRelativePath(root.FullName, f), Lines: File.ReadLines(f).Count())).Where(f => f.Lines > Limit).ToList();

        Assert.NotEmpty(files);
        Assert.True(tooLong.Count == 0, string.Join(", ", tooLong.Select(f => $"{f.File}: {f.Lines} lines")));
    }
}
