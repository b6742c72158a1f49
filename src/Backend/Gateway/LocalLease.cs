namespace ZkGateway.Backend.Gateway;

/// <summary>A session this gateway serves: its deadline, moved by every packet of its client. Guarded by its own lock.</summary>
internal sealed class LocalLease(int timeoutMs, long expiresAt)
{
    public int TimeoutMs = timeoutMs;
    public long ExpiresAt = expiresAt;
    public bool Closing;
}
