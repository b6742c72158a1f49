namespace ZkGateway.Backend.Gateway;

/// <summary>A session this gateway serves: its deadline, moved by every packet of its client. Guarded by its own lock.</summary>
internal sealed class LocalLease(int timeoutMs, long expiresAt)
{
    public int TimeoutMs = timeoutMs;
    public long ExpiresAt = expiresAt;
    public LeaseState State;
}

/// <summary>Where a session this gateway serves stands; every state but <see cref="Live"/> refuses its requests.</summary>
internal enum LeaseState
{
    /// <summary>Served: each packet moves its deadline.</summary>
    Live,

    /// <summary>Its deadline passed and this gateway is expiring it.</summary>
    Expiring,

    /// <summary>
    /// Its expiry failed on the shared store before the lease was marked closing there: nothing is
    /// decided yet, and the store's return (the expiry's next look at it, or a resume of the client)
    /// makes it <see cref="Live"/> again with a full timeout.
    /// </summary>
    ExpiryStalled,

    /// <summary>Closed by its client, or marked closing in the store: it is ending.</summary>
    Closing,
}
