using System.Security.Cryptography;

namespace ZkGateway.Backend.Gateway;

/// <summary>Where new session ids come from: one gateway counts them, gateways sharing a backend draw them.</summary>
internal sealed class SessionIds
{
    private readonly bool _random;
    private long _next;

    private SessionIds(bool random, long first)
    {
        _random = random;
        _next = first;
    }

    /// <summary>ZooKeeper's scheme (SessionTrackerImpl.initializeNextSessionId): time in the middle bits, server id on top.</summary>
    public static SessionIds Sequential(int serverId, TimeProvider time)
    {
        long now = time.GetUtcNow().ToUnixTimeMilliseconds();
        return new SessionIds(random: false, ((now << 24) >>> 8) | ((long)serverId << 56));
    }

    /// <summary>
    /// Gateways sharing a backend cannot coordinate ZooKeeper's per-server id ranges cheaply: they draw
    /// random 63-bit ids instead (a collision would also need the same moment).
    /// </summary>
    public static SessionIds Random() => new(random: true, 0);

    /// <summary>The next candidate id; the caller skips 0 and ids it already serves.</summary>
    public long Next() => _random
        ? BitConverter.ToInt64(RandomNumberGenerator.GetBytes(8)) & long.MaxValue
        : Interlocked.Increment(ref _next);
}
