using ZkGateway.Backend.Primitives;

namespace ZkGateway.Backend.Tests;

/// <summary>
/// A lease store that records which calls reach it, can be made unreachable (every call fails, as
/// on a DynamoDB outage), and can act right after a listing of leases.
/// </summary>
internal sealed class CountingLeases(ISessionLeaseStore inner) : ISessionLeaseStore
{
    public List<string> Calls { get; } = [];

    /// <summary>The store is down: every call fails.</summary>
    public bool Unreachable { get; set; }

    public Func<Task>? AfterListOwned { get; set; }

    public ValueTask<bool> ClaimAsync(string owner, long sessionId, int timeoutMs, CancellationToken cancellationToken = default)
    {
        Reach("Claim");
        return inner.ClaimAsync(owner, sessionId, timeoutMs, cancellationToken);
    }

    public ValueTask<SessionLease?> GetAsync(long sessionId, CancellationToken cancellationToken = default)
    {
        Reach("Get");
        return inner.GetAsync(sessionId, cancellationToken);
    }

    /// <summary>Marks wait for this before they reach the store (a slow call in flight).</summary>
    public Task? MarkGate { get; set; }

    public async ValueTask<bool> TryMarkClosingAsync(long sessionId, string? onlyIfOwner = null, long? onlyIfOwnerAliveUntilMs = null, CancellationToken cancellationToken = default)
    {
        if (MarkGate is { } gate)
        {
            await gate;
        }
        Reach("TryMarkClosing");
        return await inner.TryMarkClosingAsync(sessionId, onlyIfOwner, onlyIfOwnerAliveUntilMs, cancellationToken);
    }

    public ValueTask RemoveAsync(long sessionId, CancellationToken cancellationToken = default)
    {
        Reach("Remove");
        return inner.RemoveAsync(sessionId, cancellationToken);
    }

    public ValueTask RenewGatewayAsync(string owner, long aliveUntilMs, CancellationToken cancellationToken = default)
    {
        Reach("RenewGateway");
        return inner.RenewGatewayAsync(owner, aliveUntilMs, cancellationToken);
    }

    public ValueTask<IReadOnlyDictionary<string, long>> ListGatewaysAsync(CancellationToken cancellationToken = default)
    {
        Reach("ListGateways");
        return inner.ListGatewaysAsync(cancellationToken);
    }

    public ValueTask<bool> ForgetGatewayAsync(string owner, long aliveUntilMs, CancellationToken cancellationToken = default)
    {
        Reach("ForgetGateway");
        return inner.ForgetGatewayAsync(owner, aliveUntilMs, cancellationToken);
    }

    public async ValueTask<IReadOnlyList<SessionLease>> ListOwnedAsync(IReadOnlyCollection<string> owners, CancellationToken cancellationToken = default)
    {
        Reach("ListOwned");
        var owned = await inner.ListOwnedAsync(owners, cancellationToken);
        if (AfterListOwned is { } after)
        {
            await after();
        }
        return owned;
    }

    private void Reach(string call)
    {
        lock (Calls)
        {
            Calls.Add(call);
        }
        if (Unreachable)
        {
            throw new IOException("the store is unreachable");
        }
    }
}
