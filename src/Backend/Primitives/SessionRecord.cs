using ZkGateway.Jute.Data;

namespace ZkGateway.Backend.Primitives;

/// <summary>A session as system storage keeps it. Leases are renewed by gateways and are not durable.</summary>
public sealed record SessionRecord(long SessionId, byte[] Password, int TimeoutMs);
