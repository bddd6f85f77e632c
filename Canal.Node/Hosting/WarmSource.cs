using Canal.Istio;
using Canal.Mapping;

namespace Canal.Node.Hosting;

/// <summary>
/// The node's adapter, started with the node rather than with the source singleton (as controller-runtime runs its
/// caches on every replica): a singleton that starts here after a restart or a hand-over finds the listing done or
/// under way instead of beginning one. The singleton attaches (<see cref="Attach"/>) and gets the latest view at once.
/// </summary>
/// <param name="adapter">Made with the callback for unreadable objects it should call.</param>
/// <param name="report">Reports an unreadable object (a Kubernetes Event): only the node whose singleton is attached
/// does, so replicas do not repeat each other; what is found before one attaches is reported when it does.</param>
internal sealed class WarmSource : IDisposable
{
    private readonly Lock _lock = new();
    private readonly Dictionary<ObjectKey, ManifestError> _unreported = [];
    private readonly IObjectSource _adapter;
    private readonly Action<ManifestError, ObjectKey> _report;
    private SourceView? _latest;
    private Attachment? _attached;

    public WarmSource(Func<Action<ManifestError, ObjectKey>, IObjectSource> adapter, Action<ManifestError, ObjectKey>? report = null)
    {
        _report = report ?? ((_, _) => { });
        _adapter = adapter(Unreadable);
    }

    public void Start() => _adapter.Start(
        view =>
        {
            // Under the lock, as Attached hands on the latest: an older view must never follow a newer one.
            lock (_lock)
            {
                _latest = view;
                _attached?.OnView(view);
            }
        },
        () =>
        {
            Attachment? attached;
            lock (_lock)
                attached = _attached;
            attached?.OnStoreChanged();
        });

    /// <summary>What the source singleton running here sees: the adapter's views, the latest first. One at a time.</summary>
    public IObjectSource Attach() => new Attachment(this);

    private void Unreadable(ManifestError error, ObjectKey key)
    {
        lock (_lock)
        {
            if (_attached == null)
            {
                _unreported[key] = error;
                return;
            }
        }
        _report(error, key);
    }

    public void Dispose() => _adapter.Dispose();

    private void Attached(Attachment attachment)
    {
        List<KeyValuePair<ObjectKey, ManifestError>> unreported;
        lock (_lock)
        {
            _attached = attachment;
            if (_latest != null)
                attachment.OnView(_latest);
            unreported = [.. _unreported];
            _unreported.Clear();
        }
        foreach (var (key, error) in unreported)
            _report(error, key);
    }

    private void Detached(Attachment attachment)
    {
        lock (_lock)
        {
            if (_attached == attachment)
                _attached = null;
        }
    }

    private sealed class Attachment(WarmSource warm) : IObjectSource
    {
        public Action<SourceView> OnView { get; private set; } = _ => { };

        public Action OnStoreChanged { get; private set; } = () => { };

        public void Start(Action<SourceView> onView, Action onStoreChanged)
        {
            (OnView, OnStoreChanged) = (onView, onStoreChanged);
            warm.Attached(this);
        }

        public void Dispose() => warm.Detached(this);
    }
}
