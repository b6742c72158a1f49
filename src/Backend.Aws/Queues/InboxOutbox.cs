using Amazon.DynamoDBv2;
using ZkGateway.Backend.Messages;
using ZkGateway.Backend.Primitives;

namespace ZkGateway.Backend.Aws;

/// <summary>
/// The distributor's outbox on AWS: buffers a batch's triggers, replies and session ends in zxid
/// order, finds the gateways interested in each triggered path (<see cref="WatchInterestRoutes"/>),
/// and sends every gateway one inbox message per batch.
/// <para>
/// With an <see cref="EpochLedger"/> it also plans the batch before it is applied: the interested
/// gateways are looked up once before the nodes are written (for their epoch stamp) and once more
/// after (for the routing itself: a gateway registers interest before its watching read, so only a
/// lookup after the write is sure to find every gateway whose read may have seen the old state).
/// The planned routes are recorded in the ledger before the writes, and a gateway that registered
/// its first interest too late for the first lookup (reported by the applied marker's raise) gets a
/// Mark at the end of the batch's message to it (<see cref="Mark"/>).
/// </para>
/// <para>
/// <paramref name="localGateway"/>: the gateway this outbox runs in (the gateway write path), whose
/// watchers are told in-process by the caller: it is never routed to, planned for or stamped.
/// <paramref name="planBasis"/>: the gateway write path's writer says which interest generation to plan
/// with (no registration is reported late there: registrations are ordered by the write head) and
/// whether the ledger is as it left it, which is then not read again (<see cref="EpochLedger.UseKnown"/>).
/// </para>
/// </summary>
public sealed class InboxOutbox(IAmazonDynamoDB dynamo, string watchesTable, Func<string, CancellationToken, ValueTask<IOrderedQueue<IReadOnlyList<InboxItem>>?>> inboxOf, EpochLedger? ledger = null, string? localGateway = null, Func<WriterPlanBasis>? planBasis = null) : IGatewayOutbox
{
    private readonly List<(string? Gateway, InboxItem Item)> _buffer = [];

    /// <summary>
    /// Interest looked up by earlier batches of this instance, valid while the interest generation the
    /// batch reads (with the ledger) stays the same: a gateway that writes a new interest item bumps it
    /// afterwards. A registration that bumps it after this batch read it is reported late by the raise
    /// of the applied marker (<see cref="Mark"/>), and the routing after the writes then looks up
    /// afresh; one that bumps it after the raise came after the batch's writes, so its watching read
    /// sees them and is owed no trigger. Only with a ledger (which reads the generation).
    /// </summary>
    private readonly InterestCache _interest = new();

    /// <summary>
    /// This batch read the generation and kept the cache to it, and no late registration was reported:
    /// the routing after the writes may use the cache (otherwise it looks up afresh).
    /// </summary>
    private bool _cacheCurrent;

    public async ValueTask<EpochStamp?> PlanAsync(IReadOnlyList<Txn> txns, bool writesNodes, CancellationToken cancellationToken = default)
    {
        if (ledger is null)
        {
            return null;
        }
        ledger.BeginBatch();
        _cacheCurrent = false;
        if (!writesNodes)
        {
            return null;
        }
        // First the generation (with the ledger), then the lookup: a registration this read does not
        // see comes after it, and the raise of the applied marker reports it (see AppliedMarker).
        long generation;
        if (planBasis?.Invoke() is { } basis)
        {
            generation = basis.Generation;
            if (basis.LedgerKnown)
            {
                ledger.UseKnown();
            }
            else
            {
                await ledger.EnsureLoadedAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        else
        {
            generation = await ledger.LoadWithGenerationAsync(cancellationToken).ConfigureAwait(false);
        }
        _interest.Keep(generation);
        _cacheCurrent = true;
        var planned = new Dictionary<string, long>(StringComparer.Ordinal);
        var triggers = txns.SelectMany(t => t.Triggers.Select(trigger => InboxItem.ForTrigger(t.Zxid, trigger))).ToList();
        if (triggers.Count > 0)
        {
            var routes = await LoadInterestAsync(triggers.Select(t => t.Trigger.Path), _interest, cancellationToken).ConfigureAwait(false);
            foreach (var item in triggers)
            {
                foreach (string gateway in RoutesOf(routes, item))
                {
                    planned[gateway] = Math.Max(planned.GetValueOrDefault(gateway), item.Zxid);
                }
            }
        }
        // Before any node is written (or deleted): a gateway whose read finds no node has no stamp to
        // go by and asks the ledger instead, so what this batch will route must be there first.
        await ledger.RecordAsync(planned, cancellationToken).ConfigureAwait(false);
        long batchZxid = txns.Where(t => t.ChangesState).Select(t => t.Zxid).DefaultIfEmpty(0).Max();
        return ledger.Stamp(planned, generation, batchZxid);
    }

    /// <summary>Where a trigger goes: its routes, but the local gateway (told in-process) unless <paramref name="includeLocal"/>.</summary>
    private IEnumerable<string> RoutesOf(WatchInterestRoutes routes, InboxItem item, bool includeLocal = false) =>
        localGateway is null || includeLocal ? routes.Route(item) : routes.Route(item).Where(g => g != localGateway);

    /// <summary>
    /// The triggers of a batch found applied, whose writer (another gateway) may have died before sending
    /// them: to every interested gateway's inbox, this one's included (its watchers hear of another
    /// writer's batch only there). An inbox skips the triggers it has handled.
    /// </summary>
    public async ValueTask ResendTriggersAsync(IReadOnlyList<Txn> txns, CancellationToken cancellationToken)
    {
        // No plan (nothing is written): the ledger is read afresh if the routing must record anything.
        await PlanAsync(txns, writesNodes: false, cancellationToken).ConfigureAwait(false);
        foreach (var txn in txns)
        {
            Triggers(txn);
        }
        await FlushAsync(includeLocal: true, cancellationToken).ConfigureAwait(false);
    }

    public void Mark(IReadOnlyCollection<string> gateways, long zxid)
    {
        if (gateways.Count > 0)
        {
            _cacheCurrent = false;
            _interest.Clear();
        }
        foreach (string gateway in gateways.Where(g => g != localGateway))
        {
            _buffer.Add((gateway, InboxItem.ForMark(zxid)));
        }
    }

    public void Triggers(Txn txn)
    {
        foreach (var trigger in txn.Triggers)
        {
            _buffer.Add((null, InboxItem.ForTrigger(txn.Zxid, trigger)));
        }
    }

    public void Reply(ReplyAddress address, WriteResult result) => _buffer.Add((address.GatewayId, InboxItem.ForReply(result.Zxid, address.RequestId, result)));

    public void SessionClosed(long sessionId, string? gatewayId)
    {
        if (gatewayId is not null)
        {
            _buffer.Add((gatewayId, InboxItem.ForSessionClosed(0, sessionId)));
        }
    }

    public ValueTask FlushAsync(CancellationToken cancellationToken = default) => FlushAsync(includeLocal: false, cancellationToken);

    private async ValueTask FlushAsync(bool includeLocal, CancellationToken cancellationToken)
    {
        if (_buffer.Count == 0)
        {
            return;
        }
        var triggerPaths = _buffer.Where(b => b.Gateway is null).Select(b => b.Item.Trigger.Path).ToList();
        // After the writes: from the cache the plan kept to this batch's generation, unless a
        // registration came late (or the batch read no generation: no plan, or no ledger).
        var routes = triggerPaths.Count > 0
            ? await LoadInterestAsync(triggerPaths, _cacheCurrent ? _interest : null, cancellationToken).ConfigureAwait(false)
            : WatchInterestRoutes.None;
        _cacheCurrent = false;

        var perGateway = new Dictionary<string, List<InboxItem>>(StringComparer.Ordinal);
        var routed = new Dictionary<string, long>(StringComparer.Ordinal);
        void Add(string gateway, InboxItem item)
        {
            if (!perGateway.TryGetValue(gateway, out var list))
            {
                perGateway[gateway] = list = [];
            }
            list.Add(item);
        }
        foreach (var (gateway, item) in _buffer)
        {
            if (gateway is not null)
            {
                Add(gateway, item);
                continue;
            }
            foreach (string g in RoutesOf(routes, item, includeLocal))
            {
                Add(g, item);
                routed[g] = Math.Max(routed.GetValueOrDefault(g), item.Zxid);
            }
        }
        _buffer.Clear();

        var sends = new List<(IOrderedQueue<IReadOnlyList<InboxItem>> Inbox, List<InboxItem> Items)>(perGateway.Count);
        foreach (var (gateway, items) in perGateway)
        {
            // A gateway without an inbox has gone: its sessions expire, nothing waits for these.
            if (await inboxOf(gateway, cancellationToken).ConfigureAwait(false) is { } inbox)
            {
                sends.Add((inbox, items));
            }
            else
            {
                routed.Remove(gateway);
            }
        }
        if (ledger is not null)
        {
            // Before the triggers leave: the next batch, perhaps in another instance, stamps with them.
            // Usually a no-op (the plan recorded them); not for a gateway that registered its interest
            // after the first lookup.
            await ledger.RecordAsync(routed, cancellationToken).ConfigureAwait(false);
        }
        foreach (var (inbox, items) in sends)
        {
            await inbox.SendAsync(items, cancellationToken).ConfigureAwait(false);
        }
    }

    private Task<WatchInterestRoutes> LoadInterestAsync(IEnumerable<string> paths, InterestCache? known, CancellationToken ct) =>
        WatchInterestRoutes.LoadAsync(dynamo, watchesTable, paths, known, ct);
}
