namespace ZkGateway.Jute;

/// <summary>Size limits applied before any length read from the wire is trusted.</summary>
public static class JuteLimits
{
    /// <summary>
    /// ZooKeeper's default <c>jute.maxbuffer</c>: 0xfffff = 1,048,575 bytes. The server closes a
    /// connection whose frame length is negative or above it, and the Java client drops any reply
    /// frame above it, so the gateway never sends a larger one.
    /// </summary>
    public const int DefaultMaxBuffer = 0xfffff;
}
