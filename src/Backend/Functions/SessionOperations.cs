namespace ZkGateway.Backend.Functions;

/// <summary>createSession as a write: it consumes a zxid and makes the session durable.</summary>
public sealed record CreateSessionOperation(long SessionId, byte[] Password, int TimeoutMs) : WriteOperation;
