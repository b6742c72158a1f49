using Microsoft.Extensions.Logging;
using ZkGateway.Backend.Diagnostics;
using ZkGateway.Backend.Primitives;

namespace ZkGateway.Backend.Gateway;

/// <summary>
/// This gateway process's liveness in the shared store: one deadline that vouches for every session it
/// serves (see <see cref="ISessionLeaseStore"/>). Written only while the gateway serves a session, every
/// <see cref="BackendOptions.LivenessRenewalMs"/>, each write valid for one and a half periods (renewals
/// that fail are retried every tick for half a period before the sessions can be handed over); nothing
/// is written by a gateway that serves none. Before a session is
/// claimed the liveness must be fresh, so that the store never names this owner for a session while its
/// deadline is behind what its clients were last heard at.
/// </summary>
internal sealed class GatewayLiveness(BackendOptions options, ISessionLeaseStore store, TimeProvider time, ILogger logger)
{
    private readonly SemaphoreSlim _writing = new(1, 1);

    /// <summary>When the last successful renewal started (ms); its deadline is one and a half periods later.</summary>
    private long _renewedAt = long.MinValue / 2;

    private bool _everRenewed;

    /// <summary>The last renewal failed (heartbeat ticks run one at a time).</summary>
    private bool _renewalFailed;

    /// <summary>This process's name on the leases it takes (a new incarnation at every start).</summary>
    public string Owner { get; } = LeaseOwner.NewIncarnation(options.GatewayId);

    private long Period => Math.Max(1, options.LivenessRenewalMs);

    /// <summary>How long a renewal vouches for the sessions: a period, and half a period of retries.</summary>
    private long Validity => Period + (Period / 2);

    private long Now => time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>Before a session is claimed: renews unless the last renewal is less than a period old.</summary>
    public Task EnsureFreshAsync(CancellationToken cancellationToken) =>
        Now < Volatile.Read(ref _renewedAt) + Period ? Task.CompletedTask : RenewAsync(cancellationToken);

    /// <summary>
    /// One heartbeat tick: renews when a period has passed and a session is served; a failure is logged
    /// and retried next tick. True when this renewal succeeded after one or more failed: the store is back.
    /// </summary>
    public async Task<bool> RenewIfDueAsync(bool serving, CancellationToken cancellationToken)
    {
        if (!serving || Now < Volatile.Read(ref _renewedAt) + Period)
        {
            return false;
        }
        try
        {
            await RenewAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            BackendLog.LeaseRenewalFailed(logger, e, options.GatewayId);
            _renewalFailed = true;
            return false;
        }
        bool returned = _renewalFailed;
        _renewalFailed = false;
        return returned;
    }

    private async Task RenewAsync(CancellationToken cancellationToken)
    {
        await _writing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            long start = Now;
            if (start < _renewedAt + Period)
            {
                return; // renewed by a concurrent caller meanwhile
            }
            // The deadline counts from before the write, so it never claims more than was true.
            await store.RenewGatewayAsync(Owner, start + Validity, cancellationToken).ConfigureAwait(false);
            Volatile.Write(ref _renewedAt, start);
            _everRenewed = true;
        }
        finally
        {
            _writing.Release();
        }
    }

    /// <summary>
    /// Stopping: the liveness ends now, so the heartbeat function takes over the sessions still served
    /// here at their timeouts from now. Best effort: otherwise it lapses by itself within one and a half periods.
    /// </summary>
    public async Task SignOffAsync()
    {
        if (!_everRenewed)
        {
            return;
        }
        try
        {
            await store.RenewGatewayAsync(Owner, Now).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            BackendLog.SignOffFailed(logger, e, options.GatewayId);
        }
    }
}
