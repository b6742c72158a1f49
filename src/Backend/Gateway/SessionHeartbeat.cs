using Microsoft.Extensions.Logging;
using ZkGateway.Backend.Diagnostics;
using ZkGateway.Backend.Primitives;

namespace ZkGateway.Backend.Gateway;

/// <summary>
/// The gateway's heartbeat: every half tick, sessions whose local deadline passed are closed through
/// the write path (in memory until then: no store call); with a shared lease store, this gateway's
/// liveness is renewed when due while it serves a session (<see cref="GatewayLiveness"/>). Only the
/// gateway that owns a session (per the store) may expire it, so a client that moved to another gateway
/// keeps it.
/// </summary>
internal sealed class SessionHeartbeat(BackendOptions options, SessionLeases sessions, ISessionLeaseStore? store, GatewayLiveness? liveness, TimeProvider time, ILogger logger)
{
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(Math.Max(10, options.TickTime / 2)), time);
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
        {
            // The expiries are not awaited: one may wait for the store's return, and must not hold up the next tick.
            _ = await TickAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>One tick: the liveness renewed when due, then the expiry of the sessions now past their deadline started (the returned task).</summary>
    internal async Task<Task> TickAsync(CancellationToken cancellationToken)
    {
        if (liveness is not null && await liveness.RenewIfDueAsync(serving: sessions.Count > 0, cancellationToken).ConfigureAwait(false))
        {
            // The store is back after renewals failed (a renewal may have hung for seconds before failing,
            // with this tick's expiries waiting behind it). No client could resume its session anywhere
            // meanwhile, so every session gets its full timeout from now, as a new ZooKeeper leader gives
            // every session after an outage.
            sessions.RearmAll();
        }
        return ExpireDue(sessions.Now, cancellationToken);
    }

    /// <summary>Starts the expiry of every session whose deadline is at or before <paramref name="now"/>; the task ends when they all have.</summary>
    internal Task ExpireDue(long now, CancellationToken cancellationToken) =>
        sessions.BeginExpiry(now) is { } expired
            ? Task.WhenAll(expired.Select(sessionId => ExpireAsync(sessionId, cancellationToken)))
            : Task.CompletedTask;

    /// <summary>Stopping: see <see cref="GatewayLiveness.SignOffAsync"/>.</summary>
    public Task SignOffAsync() => liveness?.SignOffAsync() ?? Task.CompletedTask;

    private async Task ExpireAsync(long sessionId, CancellationToken cancellationToken)
    {
        // Until it is done, the session is live again, or the gateway stops: a lease left closing with
        // no closeSession sent would refuse the client's resume while its ephemerals stay, for as long as
        // this gateway lives (the heartbeat function takes over only once its liveness lapses). Each step
        // may be repeated: a closeSession of a closed session changes nothing but a zxid.
        bool marked = false, stalled = false, live = false;
        var delay = TimeSpan.FromMilliseconds(100);
        try
        {
            for (int attempt = 1; ; attempt++)
            {
                try
                {
                    if (!marked && store is not null && liveness is not null)
                    {
                        if (stalled)
                        {
                            // The store failed before the lease was marked closing in it. Now that it
                            // answers, the session gets a full timeout again, counted from the store's
                            // return, as a new ZooKeeper leader gives every session after an outage (and
                            // as the heartbeat function counts lapses): its client could not resume
                            // anywhere while the store was down. Unless the mark did land (a timeout after
                            // the write committed): then the close is this gateway's to send.
                            var lease = await store.GetAsync(sessionId, cancellationToken).ConfigureAwait(false);
                            if (lease is null || lease.Owner != liveness.Owner)
                            {
                                return; // gone, or its client moved to another gateway
                            }
                            if (!lease.Closing)
                            {
                                live = sessions.Rearm(sessionId);
                                return;
                            }
                        }
                        // With a shared store, only the gateway that still serves the session may expire
                        // it: one whose client moved elsewhere just forgets it.
                        else if (!await store.TryMarkClosingAsync(sessionId, liveness.Owner, null, cancellationToken).ConfigureAwait(false))
                        {
                            return;
                        }
                    }
                    if (!marked)
                    {
                        BackendLog.SessionExpiring(logger, sessionId);
                        sessions.ConfirmExpiry(sessionId);
                        marked = true;
                    }
                    await sessions.SendCloseAsync(sessionId, cancellationToken).ConfigureAwait(false);
                    return;
                }
                catch (Exception e) when (!cancellationToken.IsCancellationRequested)
                {
                    if (!marked && !stalled && store is not null)
                    {
                        stalled = true;
                        sessions.StallExpiry(sessionId);
                    }
                    if (attempt == 1)
                    {
                        BackendLog.SessionExpiryFailed(logger, e, sessionId);
                    }
                }
                await Task.Delay(delay, time, cancellationToken).ConfigureAwait(false);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.TicksPerSecond));
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping: the heartbeat function settles it once this gateway's liveness lapses.
        }
        finally
        {
            if (!live)
            {
                sessions.Forget(sessionId);
            }
        }
    }
}
