namespace Canal.Benchmarks.Scale;

/// <summary>
/// Canal and the world it watches, for one workload: the Kubernetes API emulator over HTTP with the real
/// <c>canal</c> process, or the pipeline alone with an in-memory source and store.
/// </summary>
internal interface ICanalTarget : IAsyncDisposable
{
    string Name { get; }

    /// <summary>The Corefile as the store received it, every version.</summary>
    CorefileWrites Writes { get; }

    /// <summary>Creates the workload's objects (before Canal starts): namespaces, Services, the gateway, VirtualServices.</summary>
    void Seed(Workload workload, IEnumerable<(string Namespace, string Name)> extraServices);

    /// <summary>Starts Canal (cold, or on the data it persisted before) and returns the moment it was started.</summary>
    Task<long> Start();

    /// <summary>The moment the DnsWriter's sync barrier passed, for the Canal started last.</summary>
    Task<long> SyncBarrierPassed(TimeSpan timeout);

    /// <summary>How long the last sync's listing (every VirtualService delivered and applied) and sweep took, as the DnsWriter reported them.</summary>
    (TimeSpan Listing, TimeSpan Sweep) LastSync { get; }

    /// <summary>How long a fresh process takes to list what Canal lists, and nothing else (null where nothing is listed).</summary>
    Task<TimeSpan?> ListingAlone();

    /// <summary>The moment the Canal started last first checked the store: found it up to date, or wrote it.</summary>
    Task<long> FirstCheck(TimeSpan timeout);

    /// <summary>Stops Canal as Kubernetes would (SIGTERM, or the host's shutdown); its data stays.</summary>
    Task Stop();

    /// <summary>Creates a VirtualService and returns the moment the source accepted it.</summary>
    long Create(VirtualServiceSpec vs);

    /// <summary>Deletes a VirtualService and returns the moment the source accepted the deletion.</summary>
    long Delete(VirtualServiceSpec vs);

    /// <summary>
    /// The moment Canal reported live (on every CoreDNS replica) the write that added (or removed) <paramref name="host"/>;
    /// null where there is no CoreDNS to confirm writes in.
    /// </summary>
    Task<long?> Live(string host, bool added, TimeSpan timeout);

    /// <summary>The processor time Canal's process has used so far, user and system.</summary>
    TimeSpan CpuTime();

    /// <summary>Canal's peak working set since it started and its managed heap now, in bytes.</summary>
    Task<(long PeakWorkingSet, long ManagedHeap)> Memory();
}
