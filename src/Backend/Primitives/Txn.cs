using ZkGateway.Jute.Data;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.Backend.Primitives;

/// <summary>Where a write's reply goes: the gateway that holds the session, and its request id there.</summary>
public readonly record struct ReplyAddress(string GatewayId, long RequestId);

/// <summary>A write request on the writer queue (FaaSKeeper's client → writer message).</summary>
/// <remarks><paramref name="Caller"/> is whom the ACL checks and <c>auth</c> expansion are made for.</remarks>
public sealed record WriteRequest(long SessionId, WriteOperation Operation, ReplyAddress ReplyTo, CallerIdentity? Caller = null);

/// <summary>One change to user storage. Data null on a Put keeps the stored data (a parent's stat update).</summary>
public sealed record NodeChange(NodeChangeKind Kind, string Path, Stat Stat, byte[]? Data = null, IReadOnlyList<Acl>? Acl = null);

public enum NodeChangeKind
{
    /// <summary>Create the node (and add it to its parent's children) or replace its stat/data.</summary>
    Put,

    /// <summary>Remove the node (and from its parent's children).</summary>
    Delete,
}

/// <summary>
/// A watch trigger: the event type, the path whose watchers it concerns, and that node's ACL: only
/// watchers holding READ on it are told (ZooKeeper's fix for CVE-2024-23944, in Debian's 3.8.0 too).
/// Null: no check.
/// </summary>
public readonly record struct WatchTrigger(EventType Type, string Path, IReadOnlyList<Acl>? Acl = null);

/// <summary>
/// A transaction on the distributor queue: the writer's validated, committed outcome of one write,
/// in zxid order. Failed writes travel too (no changes) so that replies and zxids stay ordered.
/// </summary>
public sealed record Txn(
    long Zxid,
    long Time,
    long SessionId,
    ReplyAddress? ReplyTo,
    WriteResult Result,
    IReadOnlyList<NodeChange> Changes,
    IReadOnlyList<WatchTrigger> Triggers,
    long ClosedSessionId = 0)
{
    public bool ChangesState => Changes.Count > 0;
}
