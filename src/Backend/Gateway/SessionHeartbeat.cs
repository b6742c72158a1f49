using Microsoft.Extensions.Logging;
using ZkGateway.Backend.Diagnostics;
using ZkGateway.Backend.Primitives;

namespace ZkGateway.Backend.Gateway;

/// <summary>
/// The gateway's heartbeat: every half tick, sessions whose local deadline passed are closed through
/// the write path; with a shared lease store, this gateway's liveness and the stale stored deadlines
/// are written too. Only the gateway that serves a session (per the store) may expire it, so a client
/// that moved to another gateway keeps it.
/// </summary>
internal sealed class SessionHeartbeat(BackendOptions options, SessionLeases sessions, ISessionLeaseStore? store, InflightWrites writes, TimeProvider time, ILogger logger)
{
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(Math.Max(10, options.TickTime / 2)), time);
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
        {
            long now = sessions.Now;
            if (store is not null)
            {
                await RenewSharedAsync(store, now, cancellationToken).ConfigureAwait(false);
            }
            if (sessions.BeginExpiry(now) is { } expired)
            {
                foreach (long sessionId in expired)
                {
                    _ = ExpireAsync(sessionId, cancellationToken);
                }
            }
        }
    }

    /// <summary>
    /// Stopping: this gateway's liveness ends now, so the heartbeat function takes over its sessions at
    /// their deadlines. Best effort: otherwise it lapses by itself within three ticks.
    /// </summary>
    public async Task SignOffAsync()
    {
        if (store is null)
        {
            return;
        }
        try
        {
            await store.RenewGatewayAsync(options.GatewayId, 0).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            BackendLog.SignOffFailed(logger, e, options.GatewayId);
        }
    }

    private async Task ExpireAsync(long sessionId, CancellationToken cancellationToken)
    {
        try
        {
            // With a shared store, only the gateway that still serves the session may expire it: one
            // whose client moved elsewhere just forgets it.
            if (store is not null && !await store.TryMarkClosingAsync(sessionId, null, options.GatewayId, cancellationToken).ConfigureAwait(false))
            {
                return;
            }
            await writes.Submit(sessionId, new CloseSessionOperation(), null, fromClient: false, cancellationToken).ConfigureAwait(false);
            if (store is not null)
            {
                await store.RemoveAsync(sessionId, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            // The store or queue failed: the session stays closing here; the heartbeat function (the
            // lease is still in the store) or the client's next connection will settle it.
            BackendLog.SessionExpiryFailed(logger, e, sessionId);
        }
        finally
        {
            sessions.Forget(sessionId);
        }
    }

    /// <summary>One tick of lease upkeep with a shared store: liveness, then the stale deadlines in one batch.</summary>
    private async Task RenewSharedAsync(ISessionLeaseStore shared, long now, CancellationToken cancellationToken)
    {
        var stale = sessions.CollectStale();
        try
        {
            // Alive for three ticks: a few missed renewals (a slow store) do not hand the sessions over.
            await shared.RenewGatewayAsync(options.GatewayId, now + (3L * options.TickTime), cancellationToken).ConfigureAwait(false);
            await sessions.StoreAsync(stale, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            // Try again next tick; stored deadlines keep half a timeout of slack.
            BackendLog.LeaseRenewalFailed(logger, e, options.GatewayId);
        }
    }
}
