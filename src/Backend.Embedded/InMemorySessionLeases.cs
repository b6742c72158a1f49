using ZkGateway.Backend.Primitives;

namespace ZkGateway.Backend.Embedded;

/// <summary>
/// Session leases and gateway liveness in memory (one process: nothing to share or keep). Thread-safe;
/// the same semantics as the DynamoDB store (DynamoSessionLeases), which the shared tests check on both.
/// </summary>
public sealed class InMemorySessionLeases : ISessionLeaseStore
{
    private readonly Lock _lock = new();
    private readonly Dictionary<long, SessionLease> _leases = [];
    private readonly Dictionary<string, long> _gateways = new(StringComparer.Ordinal);

    public ValueTask<bool> ClaimAsync(string owner, long sessionId, int timeoutMs, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            // A closing lease is never taken again: the session is on its way out.
            if (_leases.TryGetValue(sessionId, out var lease) && lease.Closing)
            {
                return ValueTask.FromResult(false);
            }
            _leases[sessionId] = new SessionLease(sessionId, timeoutMs, owner, false);
            return ValueTask.FromResult(true);
        }
    }

    public ValueTask<SessionLease?> GetAsync(long sessionId, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return ValueTask.FromResult(_leases.GetValueOrDefault(sessionId));
        }
    }

    public ValueTask<bool> TryMarkClosingAsync(long sessionId, string? onlyIfOwner = null, long? onlyIfOwnerAliveUntilMs = null, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (_leases.TryGetValue(sessionId, out var lease))
            {
                bool ownerMoved = onlyIfOwner is not null && lease.Owner != onlyIfOwner;
                bool ownerRenewed = onlyIfOwner is not null && onlyIfOwnerAliveUntilMs is { } until
                    && (!_gateways.TryGetValue(onlyIfOwner, out long current) || current != until);
                if (lease.Closing || ownerMoved || ownerRenewed)
                {
                    return ValueTask.FromResult(false);
                }
                _leases[sessionId] = lease with { Closing = true };
                return ValueTask.FromResult(true);
            }
            if (onlyIfOwner is not null)
            {
                return ValueTask.FromResult(false);
            }
            // A session closed before its lease was written: the closer wins, and a later claim cannot
            // bring the session back.
            _leases[sessionId] = new SessionLease(sessionId, 0, "", true);
            return ValueTask.FromResult(true);
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

    public ValueTask RenewGatewayAsync(string owner, long aliveUntilMs, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            _gateways[owner] = aliveUntilMs;
        }
        return ValueTask.CompletedTask;
    }

    public ValueTask<IReadOnlyDictionary<string, long>> ListGatewaysAsync(CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return ValueTask.FromResult<IReadOnlyDictionary<string, long>>(new Dictionary<string, long>(_gateways, StringComparer.Ordinal));
        }
    }

    public ValueTask<bool> ForgetGatewayAsync(string owner, long aliveUntilMs, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return ValueTask.FromResult(_gateways.TryGetValue(owner, out long current) && current == aliveUntilMs && _gateways.Remove(owner));
        }
    }

    public ValueTask<IReadOnlyList<SessionLease>> ListOwnedAsync(IReadOnlyCollection<string> owners, CancellationToken cancellationToken = default)
    {
        var wanted = owners.ToHashSet(StringComparer.Ordinal);
        lock (_lock)
        {
            return ValueTask.FromResult<IReadOnlyList<SessionLease>>([.. _leases.Values.Where(l => wanted.Contains(l.Owner)).OrderBy(l => l.SessionId)]);
        }
    }
}
