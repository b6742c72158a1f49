namespace ZkGateway.Backend.Gateway;

/// <summary>
/// A session this gateway serves: its deadline, moved by every packet of its client. With a shared
/// lease store, <see cref="StoredExpiresAt"/> is the deadline last written there (kept at or after
/// <see cref="ExpiresAt"/>, see <see cref="SessionLeases"/>). Guarded by its own lock.
/// </summary>
internal sealed class LocalLease(int timeoutMs, long expiresAt)
{
    public int TimeoutMs = timeoutMs;
    public long ExpiresAt = expiresAt;
    public long StoredExpiresAt;
    public bool Closing;
}
