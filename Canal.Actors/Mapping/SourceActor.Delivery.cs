using System.Text.Json;
using Akka.Actor;
using Akka.Event;
using Canal.DnsWriter;
using Canal.Istio;

namespace Canal.Mapping;

/// <summary>Delivering a view: what changed goes to the entities (at most a few dozen asks in flight), and the result is taken in.</summary>
public sealed partial class SourceActor
{
    private const int Parallelism = 64;

    private void Deliver(bool sync)
    {
        try
        {
            if (!sync && _changes != null)
                DeliverChanges(_view!, _changes);
            else
                Deliver(_view!, sync);
            _changes = [];
            Become(() => Delivering(sync, syncAgain: false, changed: false));
        }
        catch (Exception e)
        {
            _changes = null;
            _log.Error(e, "preparing the delivery failed; retrying");
            Timers.StartSingleTimer("retry", Retry.Instance, RetryAfter);
            Become(sync ? SyncWanted : Following);
        }
    }

    private void Deliver(SourceView view, bool sync)
    {
        _delegation.Rebuild(view.VirtualServices);
        var wanted = new Dictionary<ObjectKey, Delivered>();
        foreach (var vs in view.VirtualServices)
        {
            var roots = _delegation.RootsOf(vs.Key);
            // Adapters keep unchanged objects as the same instances, so most are recognised without comparing them.
            wanted[vs.Key] = _delivered.TryGetValue(vs.Key, out var seen) && ReferenceEquals(seen.Spec, vs) && seen.Roots.SequenceEqual(roots, ReferenceEqualityComparer.Instance)
                ? seen
                : new Delivered(vs, roots);
        }
        var observeNow = new List<Delivered>();
        foreach (var w in wanted.Values)
        {
            if (sync && Unchanged(w) is { } stored)
            {
                // Delivering it would change nothing: it counts as delivered, as the namespaces say.
                _delivered[w.Spec.Key] = w;
                _applied[w.Spec.Key] = stored;
            }
            else if (sync || !_delivered.TryGetValue(w.Spec.Key, out var seen) || !Same(seen, w))
                observeNow.Add(w);
        }
        var remove = _delivered.Keys.Where(k => !wanted.ContainsKey(k)).ToList();
        Send(view, sync, observeNow, remove, wanted);
    }

    /// <summary>Sends the Gateways and Services that changed to the DnsWriter, and the VirtualService commands to the entities.</summary>
    private void Send(SourceView view, bool sync, List<Delivered> observeNow, List<ObjectKey> remove, Dictionary<ObjectKey, Delivered> wanted)
    {
        // The last of each key wins, as the view lists them.
        var gateways = new Dictionary<ObjectKey, Gateway>();
        foreach (var gateway in view.Gateways)
            gateways[gateway.Key] = gateway;
        var services = new Dictionary<ObjectKey, ClusterService>(view.Services.Count);
        foreach (var service in view.Services)
            services[service.Key] = service;
        // Also during a sync: should its SyncCompleted be dropped (a resync overtook it), the changes still arrive.
        SendObjectChanges(gateways, services);
        _gateways = gateways;
        _services = services;

        var epoch = _syncEpoch;
        var complete = view.Complete;
        Apply(observeNow.Select(w => (IVirtualServiceCommand)Observe(w)).Concat(remove.Select(k => new RemoveVirtualService(k, Last: Last(k)))).ToList())
            .PipeTo(Self, success: results => new DeliveryFinished(sync ? epoch : null, results, wanted, complete));
    }

    private async Task<IReadOnlyList<(IVirtualServiceCommand Command, VirtualServiceApplied? Applied, Exception? Error)>> Apply(List<IVirtualServiceCommand> commands)
    {
        var results = new (IVirtualServiceCommand, VirtualServiceApplied?, Exception?)[commands.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, commands.Count), new ParallelOptions { MaxDegreeOfParallelism = Parallelism }, async (i, _) =>
        {
            try
            {
                results[i] = (commands[i], await _virtualServices.Ask<VirtualServiceApplied>(commands[i], _askTimeout), null);
            }
            catch (Exception e)
            {
                results[i] = (commands[i], null, e);
            }
        });
        return results;
    }

    /// <param name="syncAgain">A sync was asked for while it ran.</param>
    /// <param name="changed">The view changed while it ran.</param>
    private void OnDeliveryFinished(DeliveryFinished finished, bool syncAgain, bool changed)
    {
        var sync = finished.SyncEpoch != null;
        var failed = finished.Results.Where(r => r.Error != null).ToList();
        foreach (var (command, applied, _) in finished.Results.Where(r => r.Error == null))
        {
            if (command is RemoveVirtualService)
                _delivered.Remove(command.Key);
            else
                _delivered[command.Key] = finished.Wanted[command.Key];
            if (command is RemoveVirtualService || applied!.Namespaces is { Count: 0 } && applied.Version == 0)
                _applied.Remove(command.Key);
            else
                _applied[command.Key] = new LastApplied(applied.Version, applied.Namespaces);
        }
        foreach (var (command, _, _) in failed)
        {
            // Some namespaces may hold what the failed attempt claimed: the next one must release them if need be.
            if (command is ObserveVirtualService observe)
            {
                var attempted = VirtualServiceClaims.Extract(observe.Spec, observe.Roots, _options).Hosts.Select(h => h.Namespace);
                var last = Last(command.Key);
                _applied[command.Key] = last with { Namespaces = [.. (last.Namespaces ?? []).Union(attempted)] };
            }
        }
        if (failed.Count > 0)
        {
            // What failed is delivered again by comparing the whole view: the changes since are not all it takes.
            _changes = null;
            _log.Warning("{0} VirtualService changes not applied yet (first: {1}: {2}); retrying", failed.Count, failed[0].Command.Key, failed[0].Error!.Message);
            // A failed sync stays wanted, so the retry lists everything again; failed changes are delivered again.
            Timers.StartSingleTimer("retry", Retry.Instance, RetryAfter);
            Become(sync || syncAgain ? SyncWanted : Following);
            return;
        }
        var synced = !sync;
        if (finished.SyncEpoch is { } epoch && epoch == _syncEpoch)
        {
            synced = true;
            _syncedComplete = finished.Complete;
            var listed = finished.Wanted.Keys.Select(k => new ListedVirtualService(k, _applied.TryGetValue(k, out var last) ? last.Namespaces : [])).ToList();
            _dnsWriter!.Tell(new SyncCompleted(epoch, listed, [.. _gateways.Values], [.. _services.Values], finished.Complete));
        }
        if (!synced || syncAgain)
            Sync();
        else if (changed)
            Deliver(sync: false);
        else
            Become(Following);
    }

    private void SendObjectChanges(Dictionary<ObjectKey, Gateway> gateways, Dictionary<ObjectKey, ClusterService> services)
    {
        foreach (var gateway in gateways.Values.Where(g => !_gateways.TryGetValue(g.Key, out var old) || !Same(old, g)))
            _dnsWriter!.Tell(new GatewayObserved(gateway));
        foreach (var key in _gateways.Keys.Where(k => !gateways.ContainsKey(k)))
            _dnsWriter!.Tell(new GatewayRemoved(key));
        foreach (var service in services.Values.Where(s => !_services.TryGetValue(s.Key, out var old) || !Same(old, s)))
            _dnsWriter!.Tell(new ServiceObserved(service));
        foreach (var key in _services.Keys.Where(k => !services.ContainsKey(k)))
            _dnsWriter!.Tell(new ServiceRemoved(key));
    }

    private static bool Same<T>(T a, T b) where T : class => ReferenceEquals(a, b) || JsonSerializer.Serialize(a) == JsonSerializer.Serialize(b);

    /// <summary>
    /// What was delivered: the view's own objects (no copy), compared by content only when the adapter hands a new
    /// instance for a key, so a sync of 100k unchanged VirtualServices serialises none of them.
    /// </summary>
    private sealed record Delivered(VirtualService Spec, IReadOnlyList<VirtualService> Roots);


    private sealed record DeliveryFinished(
        long? SyncEpoch,
        IReadOnlyList<(IVirtualServiceCommand Command, VirtualServiceApplied? Applied, Exception? Error)> Results,
        Dictionary<ObjectKey, Delivered> Wanted,
        bool Complete);
}
