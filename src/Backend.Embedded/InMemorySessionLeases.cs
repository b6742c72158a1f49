using ZkGateway.Backend.Primitives;

namespace ZkGateway.Backend.Embedded;

/// <summary>
/// Session leases in memory, for the embedded deployment (one process: leases need not be shared or
/// outlive it). Thread-safe; the same semantics as the DynamoDB store (DynamoSessionLeases), which the
/// shared tests check on both.
/// </summary>
public sealed class InMemorySessionLeases : ISessionLeaseStore
{
    private readonly Lock _lock = new();
    private readonly Dictionary<long, SessionLease> _leases = [];

    public ValueTask RenewAsync(string gatewayId, IReadOnlyList<LeaseRenewal> renewals, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            foreach (var renewal in renewals)
            {
                // A closing lease is never renewed: the session is on its way out.
                if (_leases.TryGetValue(renewal.SessionId, out var lease) && lease.Closing)
                {
                    continue;
                }
                _leases[renewal.SessionId] = new SessionLease(renewal.SessionId, renewal.ExpiresAtMs, gatewayId, false);
            }
        }
        return ValueTask.CompletedTask;
    }

    public ValueTask<SessionLease?> GetAsync(long sessionId, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return ValueTask.FromResult(_leases.GetValueOrDefault(sessionId));
        }
    }

    public ValueTask<IReadOnlyList<SessionLease>> ListExpiredAsync(long nowMs, int max, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return ValueTask.FromResult<IReadOnlyList<SessionLease>>(
                [.. _leases.Values.Where(l => !l.Closing && l.ExpiresAtMs <= nowMs).OrderBy(l => l.ExpiresAtMs).Take(max)]);
        }
    }

    /// <summary>
    /// Marks closing; see <see cref="ISessionLeaseStore.TryMarkClosingAsync"/>. Without a time condition a
    /// session that has no lease yet (created and closed within one renewal tick) gets a closing lease,
    /// so the closeSession that asks wins and a later renewal cannot bring the session back.
    /// </summary>
    public ValueTask<bool> TryMarkClosingAsync(long sessionId, long? onlyIfExpiredAtMs, string? onlyIfGateway = null, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (_leases.TryGetValue(sessionId, out var lease))
            {
                if (lease.Closing || (onlyIfExpiredAtMs is { } at && lease.ExpiresAtMs > at) || (onlyIfGateway is not null && lease.GatewayId != onlyIfGateway))
                {
                    return ValueTask.FromResult(false);
                }
                _leases[sessionId] = lease with { Closing = true };
                return ValueTask.FromResult(true);
            }
            if (onlyIfExpiredAtMs is not null || onlyIfGateway is not null)
            {
                return ValueTask.FromResult(false);
            }
            _leases[sessionId] = new SessionLease(sessionId, 0, "", true);
            return ValueTask.FromResult(true);
        }
    }

    private readonly Dictionary<string, long> _gateways = new(StringComparer.Ordinal);

    public ValueTask RenewGatewayAsync(string gatewayId, long aliveUntilMs, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            _gateways[gatewayId] = aliveUntilMs;
        }
        return ValueTask.CompletedTask;
    }

    public ValueTask<long?> GetGatewayAliveUntilAsync(string gatewayId, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return ValueTask.FromResult(_gateways.TryGetValue(gatewayId, out long until) ? until : (long?)null);
        }
    }

    public ValueTask RemoveAsync(long sessionId, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            _leases.Remove(sessionId);
        }
        return ValueTask.CompletedTask;
    }
}
