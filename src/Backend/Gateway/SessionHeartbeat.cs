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
internal sealed class SessionHeartbeat(BackendOptions options, SessionLeases sessions, ISessionLeaseStore? store, GatewayLiveness? liveness, InflightWrites writes, TimeProvider time, ILogger logger)
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
        try
        {
            // With a shared store, only the gateway that still serves the session may expire it: one
            // whose client moved elsewhere just forgets it.
            if (store is not null && liveness is not null && !await store.TryMarkClosingAsync(sessionId, liveness.Owner, null, cancellationToken).ConfigureAwait(false))
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
            // The store or queue failed: the lease stays (closing, if it got that far); the heartbeat
            // function settles it once this gateway's liveness lapses, or the client's next connection does.
            BackendLog.SessionExpiryFailed(logger, e, sessionId);
        }
        finally
        {
            sessions.Forget(sessionId);
        }
    }
}
