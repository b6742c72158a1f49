using ZkGateway.Jute.Data;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.Backend.Primitives;

/// <summary>Where a write's reply goes: the gateway that holds the session, and its request id there.</summary>
public readonly record struct ReplyAddress(string GatewayId, long RequestId);

/// <summary>A write request on the writer queue (FaaSKeeper's client → writer message).</summary>
/// <remarks><paramref name="Caller"/> is whom the ACL checks and <c>auth</c> expansion are made for.</remarks>
public sealed record WriteRequest(long SessionId, WriteOperation Operation, ReplyAddress ReplyTo, CallerIdentity? Caller = null);
