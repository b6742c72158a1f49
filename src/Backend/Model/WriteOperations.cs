using ZkGateway.Jute.Data;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.Backend;

/// <summary>A write request in domain form.</summary>
public abstract record WriteOperation;

/// <summary>
/// create / create2 / createContainer / createTTL. <see cref="Ttl"/> is -1 unless the request carried one (op 21).
/// The node is a container when <see cref="Mode"/> is Container or <see cref="AsContainer"/> is set: ZooKeeper
/// 3.8.0 makes every top-level createContainer (op 19) a container whatever its flags (they still pick the
/// sequential suffix), while a top-level create/create2 with flags 4 makes a plain persistent node.
/// </summary>
public sealed record CreateOperation(string Path, byte[]? Data, IReadOnlyList<Acl> Acl, CreateMode Mode, long Ttl = -1, bool AsContainer = false) : WriteOperation
{
    public bool IsContainer => AsContainer || Mode == CreateMode.Container;
}

/// <summary>
/// deleteContainer (op 20): the reaper's deletion of a container or TTL node, sent with no session.
/// It deletes only a node that is still a candidate when the writer gets to it (no children, and a
/// container that had some or a TTL node whose TTL has run out since its last change).
/// </summary>
public sealed record DeleteContainerOperation(string Path) : WriteOperation;

/// <summary>
/// A top-level createTTL whose path is null (-1 on the wire). 3.8.0's PrepRequestProcessor checks the
/// extended types and the ttl first (Unimplemented, BadArguments), then fails taking the parent of null
/// (a NullPointerException): MarshallingError. A zxid is consumed either way.
/// </summary>
public sealed record NullPathTtlCreateOperation(CreateMode Mode, long Ttl) : WriteOperation;

/// <summary>An op of a multi that the gateway already knows to be invalid (for example unknown create flags).</summary>
public sealed record InvalidOperation(ErrorCode Error) : WriteOperation;

public sealed record DeleteOperation(string Path, int Version) : WriteOperation;

public sealed record SetDataOperation(string Path, byte[]? Data, int Version) : WriteOperation;

/// <summary>setACL: version is checked against the node's aversion.</summary>
public sealed record SetAclOperation(string Path, IReadOnlyList<Acl> Acl, int Version) : WriteOperation;

/// <summary>check (only inside multi).</summary>
public sealed record CheckOperation(string Path, int Version) : WriteOperation;

/// <summary>multi: all or nothing, one zxid.</summary>
public sealed record MultiOperation(IReadOnlyList<WriteOperation> Operations) : WriteOperation;

/// <summary>sync: passes through the write pipeline, so it completes after every earlier write is applied.</summary>
public sealed record SyncOperation(string Path) : WriteOperation;

/// <summary>closeSession: deletes the session's ephemeral nodes.</summary>
public sealed record CloseSessionOperation : WriteOperation;
