using ZkGateway.Jute.Data;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.Backend.Primitives;

/// <summary>
/// One change to user storage. A Put that <see cref="WritesData"/> sets the node's data to
/// <see cref="Data"/>; one that does not (a parent's stat update, setACL) keeps the stored data.
/// </summary>
public sealed record NodeChange(NodeChangeKind Kind, string Path, Stat Stat, byte[]? Data = null, IReadOnlyList<Acl>? Acl = null)
{
    /// <summary>
    /// Whether the Put sets the data. True for any non-null <see cref="Data"/>; set it explicitly for
    /// null data: ZooKeeper keeps the data of a create or setData sent as a -1 buffer as null, and
    /// getData answers it with a -1 buffer again (3.8.0), which is not the empty buffer.
    /// </summary>
    public bool WritesData { get; init; } = Data is not null;

    /// <summary>
    /// The data is not carried here but was written, once, to its final place in the store's blob
    /// storage under this key (the AWS gateway write path puts large payloads in S3 before committing,
    /// so they are not written again through the commit): a Put with <see cref="WritesData"/> whose
    /// node now refers to it. Only a store that wrote it understands it (key-value user storage).
    /// </summary>
    public string? DataRef { get; init; }

    /// <summary>
    /// The committed batch does not carry this Put's data: only the writer that committed it holds it,
    /// and writes this node before anything else of the batch (the AWS gateway write path's single
    /// small write, whose commit then costs one write unit, not the payload's). A store that applies
    /// the change without its data (<see cref="Data"/> null: a writer helping with another's batch)
    /// skips the node; that helper has made sure the write was made, or fenced it off and aborted the batch.
    /// </summary>
    public bool DataWithWriterOnly { get; init; }

    /// <summary>
    /// The stored owner marker of a container or TTL node (negative, see <see cref="NodeKinds"/>) on a
    /// Put of such a node; 0 for every other node. <see cref="Stat"/> is what clients see, where the
    /// marker is hidden: a store that is also the node's system state (the AWS gateway write path's
    /// key-value items) keeps it from here, so that the writer and the reaper can tell the node's kind.
    /// </summary>
    public long KindMarker { get; init; }

    /// <summary>
    /// On a setData's Put: the node's data length before it, from the writer's view of the node, so
    /// that the distributor can count the quota usage it changes without reading storage (which a
    /// replayed batch may have written already); -1 on every other change.
    /// </summary>
    public int PreviousDataLength { get; init; } = -1;

    /// <summary>
    /// On the distributor's Put of a zookeeper_stats node: the zxid up to which the usage it writes
    /// counts every transaction (<see cref="UserNode.UsageThrough"/>), so that a batch applied again
    /// counts nothing twice; 0 on every other change.
    /// </summary>
    public long UsageThrough { get; init; }

    /// <summary>
    /// The system record this Put's <see cref="Stat"/> was made from (its <see cref="NodeKinds.VisibleStat"/>),
    /// where the writer has one. In memory only, no codec carries it: a store that holds the system
    /// records and the user tree in one process can then keep one copy of the Stat, not two (the
    /// embedded user storage, issue 14). A store must check that the Stat is still the record's.
    /// </summary>
    public SystemNode? StatSource { get; init; }

    /// <summary>A Put that sets the node's data, null included.</summary>
    public static NodeChange PutWithData(string path, Stat stat, byte[]? data, IReadOnlyList<Acl>? acl = null) =>
        new(NodeChangeKind.Put, path, stat, data, acl) { WritesData = true };
}

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
