using ZkGateway.Backend.Diagnostics;
using ZkGateway.Backend.Primitives;
using ZkGateway.Backend.Quotas;

namespace ZkGateway.Backend.Functions;

/// <summary>
/// FaaSKeeper's distributor function: consumes committed transactions in zxid order, applies them to
/// user storage, routes the watch triggers they cause, then replies to the writing gateway (all
/// through the <see cref="IGatewayOutbox"/>), then drops them from the pending-update list.
/// <para>
/// Idempotent, because a batch may be delivered again after a crash: a transaction at or below user
/// storage's applied zxid is not applied a second time (its triggers and reply are sent again;
/// gateways ignore a reply they are no longer waiting for, and triggers they have already seen).
/// </para>
/// </summary>
public sealed class DistributorFunction
{
    private readonly IUserStorage _user;
    private readonly ISystemStorage _system;
    private readonly IGatewayOutbox _outbox;
    private readonly bool _skipsApplied;
    private readonly NoQuotaMemo _noQuotas = new();

    /// <summary>
    /// <paramref name="skipsApplied"/>: whether a transaction at or below user storage's applied zxid
    /// counts as applied before. False where the caller hands over only batches to apply in full (the
    /// gateway write path: its own, and ones its items' write stamps show unfinished), whose storage
    /// skips each write already made.
    /// </summary>
    public DistributorFunction(IUserStorage user, ISystemStorage system, IGatewayOutbox outbox, bool skipsApplied = true)
    {
        _user = user;
        _system = system;
        _outbox = outbox;
        _skipsApplied = skipsApplied;
    }

    public async Task RunAsync(IOrderedQueue<Txn> queue, CancellationToken cancellationToken)
    {
        while (true)
        {
            var batch = await queue.ReceiveBatchAsync(256, cancellationToken).ConfigureAwait(false);
            if (batch.Count == 0)
            {
                return;
            }
            await HandleBatchAsync(batch.Messages, cancellationToken).ConfigureAwait(false);
            await queue.AcknowledgeAsync(batch, cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task HandleBatchAsync(IReadOnlyList<Txn> batch, CancellationToken cancellationToken)
    {
        // A batch's storage writes are coalesced across its transactions: charged to the batch.
        using var charge = Metering.CostMeter.Begin("distribute");
        using var span = CloudTrace.StartBatch(CloudTrace.DistributorBatchSpan,
            batch.Where(t => t.ReplyTo is not null).Select(t => CloudTrace.RequestKey(t.ReplyTo!.Value.GatewayId, t.ReplyTo.Value.RequestId)),
            batch.Select(t => t.Zxid));
        long applied = _skipsApplied ? _user.AppliedZxid : 0;
        var fresh = new List<Txn>(batch.Count);
        var redelivered = new List<Txn>();
        long last = 0;
        long lastFresh = 0;
        foreach (var txn in batch)
        {
            if (!txn.ChangesState || txn.Zxid > applied)
            {
                fresh.Add(txn);
                if (txn.ChangesState)
                {
                    lastFresh = Math.Max(lastFresh, txn.Zxid);
                }
            }
            else
            {
                redelivered.Add(txn);
            }
            if (txn.ChangesState)
            {
                last = Math.Max(last, txn.Zxid);
            }
        }
        // Who will be told what, before anything is written: the nodes this batch writes carry, per
        // gateway, the last trigger on its way there (epoch stamp), so that no gateway answers a read
        // of them before it has handled that trigger.
        var epoch = await _outbox.PlanAsync(batch, lastFresh != 0, cancellationToken).ConfigureAwait(false);
        if (lastFresh != 0)
        {
            await Failpoints.HitAsync(Failpoints.DistributorBeforeApply, cancellationToken).ConfigureAwait(false);
        }
        foreach (var txn in redelivered)
        {
            // Applied before (a redelivered batch): its triggers and reply may not have been sent, and
            // nodes already carry stamps that name them. Gateways skip triggers they have handled and
            // replies nobody waits for.
            _outbox.Triggers(txn);
            Answer(txn);
        }
        // Per transaction, in zxid order: its triggers, then its reply, then the next transaction's. A
        // session that pipelines writes gets the reply to write N before the events of write N+1, as
        // ZooKeeper's FinalRequestProcessor sends them.
        var late = await ApplyAsync(fresh, epoch, cancellationToken).ConfigureAwait(false);
        if (late.Count > 0)
        {
            // Gateways that registered a first interest after the plan: the stamps of this batch may
            // not name them, so they are told where this batch's triggers end (after them).
            _outbox.Mark(late, lastFresh);
        }
        if (lastFresh != 0)
        {
            await Failpoints.HitAsync(Failpoints.DistributorBeforeSend, cancellationToken).ConfigureAwait(false);
        }
        await _outbox.FlushAsync(cancellationToken).ConfigureAwait(false);
        if (last != 0)
        {
            await _system.PopPendingAsync(last, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The fresh transactions applied, with the quota usage they change where user storage does not
    /// keep it itself: in segments (a setquota's stats node starts one), each with its stats Puts.
    /// </summary>
    private async ValueTask<IReadOnlyCollection<string>> ApplyAsync(IReadOnlyList<Txn> fresh, EpochStamp? epoch, CancellationToken cancellationToken)
    {
        void OnApplied(Txn txn)
        {
            _outbox.Triggers(txn);
            Answer(txn);
        }

        if (_user.KeepsQuotaUsage || fresh.Count == 0)
        {
            return await _user.ApplyAsync(fresh, epoch, OnApplied, cancellationToken).ConfigureAwait(false);
        }
        var tally = new QuotaUsageTally(_user, _noQuotas.Covers(fresh));
        var late = new HashSet<string>(StringComparer.Ordinal);
        for (int start = 0; start < fresh.Count;)
        {
            var segment = await tally.NextSegmentAsync(fresh, start, cancellationToken).ConfigureAwait(false);
            late.UnionWith(await _user.ApplyAsync(segment, epoch, OnApplied, cancellationToken).ConfigureAwait(false));
            start += segment.Count;
        }
        _noQuotas.Record(fresh, tally.FoundNoQuota);
        return late;
    }

    private void Answer(Txn txn)
    {
        if (txn.ReplyTo is { } address)
        {
            _outbox.Reply(address, txn.Result);
        }
        if (txn.ClosedSessionId != 0)
        {
            _outbox.SessionClosed(txn.ClosedSessionId, txn.ReplyTo?.GatewayId);
        }
    }
}
