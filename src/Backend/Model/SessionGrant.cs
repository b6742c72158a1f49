using ZkGateway.Jute.Data;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.Backend;

/// <summary>A new session: its id, 16-byte password and negotiated timeout.</summary>
public sealed record SessionGrant(long SessionId, byte[] Password, int TimeoutMs, long Zxid);
