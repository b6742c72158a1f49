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
            long now = sessions.Now;
            if (liveness is not null)
            {
                await liveness.RenewIfDueAsync(serving: sessions.Count > 0, cancellationToken).ConfigureAwait(false);
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

    /// <summary>Stopping: see <see cref="GatewayLiveness.SignOffAsync"/>.</summary>
    public Task SignOffAsync() => liveness?.SignOffAsync() ?? Task.CompletedTask;

    private async Task ExpireAsync(long sessionId, CancellationToken cancellationToken)
    {
        // Until it is done or the gateway stops: a lease left closing with no closeSession sent would
        // refuse the client's resume while its ephemerals stay, for as long as this gateway lives (the
        // heartbeat function takes over only once its liveness lapses). Each step may be repeated: a
        // closeSession of a closed session changes nothing but a zxid.
        bool marked = false;
        var delay = TimeSpan.FromMilliseconds(100);
        try
        {
            for (int attempt = 1; ; attempt++)
            {
                try
                {
                    // With a shared store, only the gateway that still serves the session may expire it: one
                    // whose client moved elsewhere just forgets it.
                    if (!marked && store is not null && liveness is not null
                        && !await store.TryMarkClosingAsync(sessionId, liveness.Owner, null, cancellationToken).ConfigureAwait(false))
                    {
                        return;
                    }
                    marked = true;
                    await sessions.SendCloseAsync(sessionId, cancellationToken).ConfigureAwait(false);
                    return;
                }
                catch (Exception e) when (!cancellationToken.IsCancellationRequested)
                {
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
            sessions.Forget(sessionId);
        }
    }
}
