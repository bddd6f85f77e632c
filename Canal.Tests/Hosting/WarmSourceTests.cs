using Canal.Istio;
using Canal.Mapping;
using Canal.Node.Hosting;

namespace Canal.Tests.Hosting;

public sealed class WarmSourceTests
{
    private sealed class Adapter : IObjectSource
    {
        public Action<SourceView> OnView { get; private set; } = _ => { };

        public Action<ManifestError, ObjectKey> Unreadable { get; set; } = (_, _) => { };

        public bool Disposed { get; private set; }

        public void Start(Action<SourceView> onView, Action onStoreChanged) => OnView = onView;

        public void Dispose() => Disposed = true;
    }

    private static readonly SourceView Empty = new([], [], []);

    [Fact]
    public void A_singleton_that_attaches_after_the_listing_gets_the_latest_view_at_once()
    {
        var adapter = new Adapter();
        using var warm = new WarmSource(_ => adapter);
        warm.Start();
        adapter.OnView(Empty with { Complete = false });
        adapter.OnView(Empty);

        var views = new List<SourceView>();
        warm.Attach().Start(views.Add, () => { });
        Assert.Equal([Empty], views);

        adapter.OnView(Empty with { Complete = false });
        Assert.Equal(2, views.Count);
    }

    [Fact]
    public void A_detached_singleton_hears_nothing_more_and_the_adapter_keeps_running_for_the_next()
    {
        var adapter = new Adapter();
        using var warm = new WarmSource(_ => adapter);
        warm.Start();
        var first = new List<SourceView>();
        var attachment = warm.Attach();
        attachment.Start(first.Add, () => { });
        attachment.Dispose();
        adapter.OnView(Empty);

        Assert.Empty(first);
        Assert.False(adapter.Disposed);
        var next = new List<SourceView>();
        warm.Attach().Start(next.Add, () => { });
        Assert.Equal([Empty], next);
    }

    [Fact]
    public void Only_a_node_with_the_singleton_attached_reports_unreadable_objects_and_what_it_found_before_is_reported_then()
    {
        var adapter = new Adapter();
        var reported = new List<ObjectKey>();
        using var warm = new WarmSource(unreadable => { adapter.Unreadable = unreadable; return adapter; }, (_, key) => reported.Add(key));
        warm.Start();
        var broken = new ObjectKey("shop", "broken");
        adapter.Unreadable(new ManifestError("api", null, "spec.http", "not a list"), broken);
        Assert.Empty(reported);

        warm.Attach().Start(_ => { }, () => { });
        Assert.Equal([broken], reported);
        adapter.Unreadable(new ManifestError("api", null, "spec.http", "not a list"), broken);
        Assert.Equal([broken, broken], reported);
    }
}
