namespace ZkGateway.Backend.Primitives;

/// <summary>A session's lease: until when it lives without a packet from its client, and which gateway serves it.</summary>
public sealed record SessionLease(long SessionId, long ExpiresAtMs, string GatewayId, bool Closing);

/// <summary>One renewal in a batch: the session's new deadline (ms since the Unix epoch).</summary>
public readonly record struct LeaseRenewal(long SessionId, long ExpiresAtMs);
