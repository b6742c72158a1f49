namespace ZkGateway.Backend.Primitives;

/// <summary>
/// Session leases and gateway liveness, shared by every gateway of a deployment (DynamoDB on AWS, memory
/// in tests). A lease names the gateway process that serves a session (its <see cref="LeaseOwner"/>) and
/// is written when a gateway takes a session (creation, or a client that moved to it), not while it
/// serves it. What keeps the sessions of a gateway alive is that gateway's own liveness, one deadline per
/// gateway renewed while it serves any session: a live gateway expires its sessions itself (it knows when
/// each client last spoke); the heartbeat function expires those of an owner whose liveness lapsed, each
/// one its timeout after that lapse, since the owner heard nothing from a client after it stopped renewing.
/// A lease that is <see cref="SessionLease.Closing"/> is never taken again: the session is on its way out.
/// </summary>
public interface ISessionLeaseStore
{
    /// <summary>
    /// <paramref name="owner"/> serves the session from now on, with <paramref name="timeoutMs"/> (creates
    /// the lease, or takes it from another owner); false, and nothing written, when the lease is closing.
    /// </summary>
    ValueTask<bool> ClaimAsync(string owner, long sessionId, int timeoutMs, CancellationToken cancellationToken = default);

    ValueTask<SessionLease?> GetAsync(long sessionId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Marks a lease closing if it is not closing yet, (when <paramref name="onlyIfOwner"/> is set) still
    /// served by that owner, and (when <paramref name="onlyIfOwnerAliveUntilMs"/> is set too) that owner's
    /// liveness is still exactly that value, in one atomic step; true when this call marked it. Exactly one
    /// caller wins, so a session is closed once even with several heartbeats or a racing closeSession, a
    /// gateway that lost a session to another gateway (its client moved) cannot expire it, and the
    /// heartbeat cannot expire the sessions of an owner that renewed after the heartbeat looked. Without an
    /// owner condition a session with no lease yet gets a closing one.
    /// </summary>
    ValueTask<bool> TryMarkClosingAsync(long sessionId, string? onlyIfOwner = null, long? onlyIfOwnerAliveUntilMs = null, CancellationToken cancellationToken = default);

    ValueTask RemoveAsync(long sessionId, CancellationToken cancellationToken = default);

    /// <summary>An owner's liveness: until when (ms since the Unix epoch) it vouches for its sessions' clients.</summary>
    ValueTask RenewGatewayAsync(string owner, long aliveUntilMs, CancellationToken cancellationToken = default);

    /// <summary>Every owner that recorded a liveness and was not forgotten since, with its deadline.</summary>
    ValueTask<IReadOnlyDictionary<string, long>> ListGatewaysAsync(CancellationToken cancellationToken = default);

    /// <summary>Removes an owner's liveness if it is still <paramref name="aliveUntilMs"/> (it did not renew meanwhile); true when removed.</summary>
    ValueTask<bool> ForgetGatewayAsync(string owner, long aliveUntilMs, CancellationToken cancellationToken = default);

    /// <summary>The leases (closing ones included) served by any of <paramref name="owners"/>; read only once an owner's liveness lapsed.</summary>
    ValueTask<IReadOnlyList<SessionLease>> ListOwnedAsync(IReadOnlyCollection<string> owners, CancellationToken cancellationToken = default);
}
