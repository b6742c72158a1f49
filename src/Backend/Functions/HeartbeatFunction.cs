using System.Security.Cryptography;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging;
using ZkGateway.Backend.Diagnostics;
using ZkGateway.Backend.Primitives;

namespace ZkGateway.Backend.Functions;

/// <summary>
/// The heartbeat function of a deployment shared by several gateways: it expires the sessions whose
/// gateway is gone. A live gateway expires the sessions it serves itself (it knows when each client
/// last spoke); this function only takes over the leases of gateways whose own liveness lapsed (a
/// killed gateway, or one that stopped), once their stored deadline has passed. Expiry goes through
/// the write path (a closeSession), so ephemerals are deleted with zxids and watchers are told.
/// </summary>
public sealed class HeartbeatFunction(ISessionLeaseStore leases, IOrderedQueue<WriteRequest> writerQueue, TimeProvider time, ILogger? logger = null)
{
    /// <summary>One pass; returns how many sessions it closed.</summary>
    public async Task<int> RunOnceAsync(CancellationToken cancellationToken = default)
    {
        long now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var alive = new Dictionary<string, bool>(StringComparer.Ordinal);
        int closed = 0;
        foreach (var lease in await leases.ListExpiredAsync(now, 1000, cancellationToken).ConfigureAwait(false))
        {
            if (!alive.TryGetValue(lease.GatewayId, out bool gatewayAlive))
            {
                long? until = await leases.GetGatewayAliveUntilAsync(lease.GatewayId, cancellationToken).ConfigureAwait(false);
                alive[lease.GatewayId] = gatewayAlive = until > now;
            }
            if (gatewayAlive)
            {
                continue;
            }
            // Conditional on the same expiry and owner: a client that meanwhile moved to a live gateway
            // renewed (and took) its lease, and keeps its session.
            if (!await leases.TryMarkClosingAsync(lease.SessionId, now, lease.GatewayId, cancellationToken).ConfigureAwait(false))
            {
                continue;
            }
            // The reply address is the dead gateway's: its inbox (if any) hears of the session's end.
            // The request id is random, so SQS deduplication cannot merge two sessions' closes.
            long requestId = BitConverter.ToInt64(RandomNumberGenerator.GetBytes(8)) & long.MaxValue;
            await writerQueue.SendAsync(new WriteRequest(lease.SessionId, new CloseSessionOperation(), new ReplyAddress(lease.GatewayId, requestId)), cancellationToken).ConfigureAwait(false);
            await leases.RemoveAsync(lease.SessionId, cancellationToken).ConfigureAwait(false);
            closed++;
        }
        return closed;
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
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }
}
