namespace ZkGateway.Backend.Primitives;

/// <summary>
/// Session leases shared by every gateway of a deployment (DynamoDB on AWS, memory when embedded).
/// Gateways renew the leases of the sessions they serve in batches, once per tick, never one call per
/// packet; the heartbeat function expires the sessions whose lease lapsed. A lease that is
/// <see cref="SessionLease.Closing"/> is never renewed again: the session is on its way out.
/// </summary>
public interface ISessionLeaseStore
{
    /// <summary>Writes the deadlines of sessions served by <paramref name="gatewayId"/> (takes ownership; skips closing leases).</summary>
    ValueTask RenewAsync(string gatewayId, IReadOnlyList<LeaseRenewal> renewals, CancellationToken cancellationToken = default);

    ValueTask<SessionLease?> GetAsync(long sessionId, CancellationToken cancellationToken = default);

    /// <summary>Leases whose deadline is at or before <paramref name="nowMs"/> and that are not closing yet.</summary>
    ValueTask<IReadOnlyList<SessionLease>> ListExpiredAsync(long nowMs, int max, CancellationToken cancellationToken = default);

    /// <summary>
    /// Marks a lease closing if it is not closing yet, (when <paramref name="onlyIfExpiredAtMs"/> is set)
    /// still expired at that time, and (when <paramref name="onlyIfGateway"/> is set) still served by
    /// that gateway; true when this call marked it. Exactly one caller wins, so a session is closed
    /// once even with several heartbeats or a racing closeSession, and a gateway that lost a session
    /// to another gateway (its client moved) cannot expire it.
    /// </summary>
    ValueTask<bool> TryMarkClosingAsync(long sessionId, long? onlyIfExpiredAtMs, string? onlyIfGateway = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// A gateway's own liveness: it expires the sessions it serves itself while alive; the heartbeat
    /// function expires those of a gateway whose liveness lapsed (it died, or stopped: 0).
    /// </summary>
    ValueTask RenewGatewayAsync(string gatewayId, long aliveUntilMs, CancellationToken cancellationToken = default);

    /// <summary>Until when <paramref name="gatewayId"/> said it is alive (ms since the Unix epoch); null if it never did.</summary>
    ValueTask<long?> GetGatewayAliveUntilAsync(string gatewayId, CancellationToken cancellationToken = default);

    ValueTask RemoveAsync(long sessionId, CancellationToken cancellationToken = default);
}
