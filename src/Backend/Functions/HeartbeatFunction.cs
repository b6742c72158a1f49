using System.Security.Cryptography;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging;
using ZkGateway.Backend.Diagnostics;
using ZkGateway.Backend.Metering;
using ZkGateway.Backend.Primitives;

namespace ZkGateway.Backend.Functions;

/// <summary>
/// The heartbeat function of a deployment shared by several gateways: it expires the sessions whose
/// gateway is gone. A live gateway expires the sessions it serves itself (it knows when each client
/// last spoke); this function takes over those of an owner (a gateway process) whose liveness lapsed: it
/// died, stopped, or serves nothing any more. Such an owner heard nothing from its clients after its
/// deadline, so each of its sessions may be expired one session timeout after it, which is never before
/// ZooKeeper would. Expiry goes through the write path (a closeSession), so ephemerals are deleted with
/// zxids and watchers are told.
/// <para>
/// After a pass that could not read the liveness (the store was unreachable), every owner's lapse counts
/// from the first pass that could again: while the store was down no gateway could renew, so a lapse
/// then says nothing about the gateway, as ZooKeeper's new leader gives every session its full timeout
/// again after an election. The instance remembers this in memory only; a fresh one (a Lambda cold
/// start) expires as if no outage had been seen, never later than without this rule.
/// </para>
/// <para>
/// Cost of a pass: one read of every owner's liveness (one item); only when an owner lapsed, one Scan of
/// the leases, and per session expired a marking transaction, a send and a delete. An owner left with no
/// lease is forgotten, so a deployment where nothing died pays the one read.
/// </para>
/// </summary>
public sealed class HeartbeatFunction(ISessionLeaseStore leases, IOrderedQueue<WriteRequest> writerQueue, TimeProvider time, ILogger? logger = null)
{
    // A pass failed to read the liveness since the last one that could; and when one could again.
    private bool _readFailed;
    private long _readableAgainMs = long.MinValue;

    // Sessions this instance marked closing and has not yet sent a closeSession for: sent again at every
    // pass until it goes, even if their owner renewed meanwhile and so is no longer listed as lapsed
    // (the mark stands; without the close the lease would refuse the client while its ephemerals stay).
    private readonly Dictionary<long, SessionLease> _unsent = [];

    /// <summary>One pass; returns how many sessions it sent a closeSession for.</summary>
    public async Task<int> RunOnceAsync(CancellationToken cancellationToken = default)
    {
        using var charge = CostMeter.Begin("heartbeat");
        long now = time.GetUtcNow().ToUnixTimeMilliseconds();
        IReadOnlyDictionary<string, long> owners;
        try
        {
            owners = await leases.ListGatewaysAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            _readFailed = true;
            throw;
        }
        if (_readFailed)
        {
            _readFailed = false;
            _readableAgainMs = now;
        }
        int closed = 0;
        foreach (var lease in _unsent.Values.ToList())
        {
            await CloseAsync(lease, cancellationToken).ConfigureAwait(false);
            closed++;
        }
        var lapsed = owners
            .Where(g => g.Value <= now)
            .ToDictionary(g => g.Key, g => g.Value, StringComparer.Ordinal);
        if (lapsed.Count == 0)
        {
            return closed;
        }
        var stillOwning = new HashSet<string>(StringComparer.Ordinal);
        foreach (var lease in await leases.ListOwnedAsync(lapsed.Keys, cancellationToken).ConfigureAwait(false))
        {
            long aliveUntil = lapsed[lease.Owner];
            if (lease.Closing)
            {
                // Its close was begun by an owner that is gone (or by an earlier pass) and may never have
                // been sent. Sending it again is harmless: a closeSession of a closed session changes nothing.
                await CloseAsync(lease, cancellationToken).ConfigureAwait(false);
                closed++;
                continue;
            }
            if (now < Math.Max(aliveUntil, _readableAgainMs) + lease.TimeoutMs)
            {
                stillOwning.Add(lease.Owner);
                continue;
            }
            // Conditional on the same owner and the same liveness: a client that meanwhile moved to a
            // live gateway (which took its lease), or an owner that renewed after our read, keeps it.
            if (!await leases.TryMarkClosingAsync(lease.SessionId, lease.Owner, aliveUntil, cancellationToken).ConfigureAwait(false))
            {
                stillOwning.Add(lease.Owner);
                continue;
            }
            BackendLog.LapsedSessionExpiring(logger ?? NullLogger.Instance, lease.SessionId, lease.TimeoutMs, lease.Owner);
            await CloseAsync(lease, cancellationToken).ConfigureAwait(false);
            closed++;
        }
        foreach (var (owner, aliveUntil) in lapsed)
        {
            if (!stillOwning.Contains(owner))
            {
                // Conditional: an owner that renewed meanwhile (a new session) stays listed.
                await leases.ForgetGatewayAsync(owner, aliveUntil, cancellationToken).ConfigureAwait(false);
            }
        }
        return closed;
    }

    /// <summary>
    /// The closeSession, with the reply address of the owner's gateway: its inbox (if any) hears of the
    /// session's end. The request id is random, so SQS deduplication cannot merge two sessions' closes.
    /// </summary>
    private async Task CloseAsync(SessionLease lease, CancellationToken cancellationToken)
    {
        _unsent[lease.SessionId] = lease;
        long requestId = BitConverter.ToInt64(RandomNumberGenerator.GetBytes(8)) & long.MaxValue;
        await writerQueue.SendAsync(new WriteRequest(lease.SessionId, new CloseSessionOperation(), new ReplyAddress(LeaseOwner.GatewayIdOf(lease.Owner), requestId)), cancellationToken).ConfigureAwait(false);
        await leases.RemoveAsync(lease.SessionId, cancellationToken).ConfigureAwait(false);
        _unsent.Remove(lease.SessionId);
    }

    /// <summary>Runs a pass every <paramref name="interval"/> until cancelled; a failed pass is retried at the next tick.</summary>
    public async Task RunAsync(TimeSpan interval, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                try
                {
                    await RunOnceAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (!cancellationToken.IsCancellationRequested)
                {
                    // Storage or queue unavailable for a moment: the leases wait for the next pass.
                    BackendLog.HeartbeatPassFailed(logger ?? NullLogger.Instance, e);
                }
                catch (Exception) when (cancellationToken.IsCancellationRequested)
                {
                    // A pass that failed because we are stopping (or while we did): the loop ends quietly.
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }
}
