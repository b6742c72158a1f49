using ZkGateway.Jute.Data;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.Backend;

/// <summary>A new session: its id, 16-byte password and negotiated timeout.</summary>
public sealed record SessionGrant(long SessionId, byte[] Password, int TimeoutMs, long Zxid);

/// <summary>Result of a read: a value, or an error code. Zxid is the last applied zxid at read time.</summary>
public readonly record struct ReadResult<T>(ErrorCode Error, T? Value, long Zxid)
{
    public bool IsOk => Error == ErrorCode.Ok;

    public static ReadResult<T> Ok(T value, long zxid) => new(ErrorCode.Ok, value, zxid);

    public static ReadResult<T> Fail(ErrorCode error, long zxid) => new(error, default, zxid);
}

/// <summary>
/// Who a request is made by: the authenticated ids its connection holds (ZooKeeper's authInfo), such as
/// <c>ip:127.0.0.1</c>, <c>digest:user:hash</c> and <c>super:</c>. ACL checks and the <c>auth</c> scheme use them.
/// </summary>
public sealed record CallerIdentity(IReadOnlyList<Id> Ids)
{
    /// <summary>No authenticated ids at all (only <c>world:anyone</c> entries grant anything).</summary>
    public static readonly CallerIdentity Anonymous = new([]);

    /// <summary>The super id bypasses every ACL check.</summary>
    public bool IsSuper => Ids.Any(i => i.Scheme == "super");

    /// <summary>
    /// The identity with one more id (none if already held), in the order ZooKeeper 3.8 iterates a
    /// connection's ids: its authInfo is a set over a ConcurrentHashMap, so whoAmI and the expansion
    /// of the <c>auth</c> scheme list ids by hash bin (Id.hashCode spread over the table), ties in
    /// insertion order. Checked against 3.8.0: ip 127.0.0.1 then alice then bob lists alice, ip, bob.
    /// </summary>
    public CallerIdentity With(Id id)
    {
        if (Ids.Contains(id))
        {
            return this;
        }
        int count = Ids.Count + 1;
        int table = 16;
        while (count >= table * 3 / 4)
        {
            table *= 2;
        }
        return new CallerIdentity([.. Ids.Append(id).OrderBy(i => Spread(JavaHash(i)) & (table - 1))]);
    }

    /// <summary>The jute-generated Id.hashCode: 37 * (37 * 17 + scheme.hashCode()) + id.hashCode().</summary>
    private static int JavaHash(Id id) => unchecked((37 * ((37 * 17) + JavaHash(id.Scheme ?? ""))) + JavaHash(id.Ident ?? ""));

    /// <summary>java.lang.String.hashCode over UTF-16 code units.</summary>
    private static int JavaHash(string value)
    {
        int h = 0;
        foreach (char c in value)
        {
            h = unchecked((31 * h) + c);
        }
        return h;
    }

    /// <summary>ConcurrentHashMap.spread.</summary>
    private static int Spread(int h) => (h ^ (int)((uint)h >> 16)) & 0x7fffffff;
}

/// <summary>A node's data (null when it was created or set with null data, as ZooKeeper keeps it) and Stat.</summary>
/// <remarks>A struct: getData answers without allocating beyond the payload (GatewayPathBenchmarks).</remarks>
public readonly record struct NodeData(byte[]? Data, Stat Stat);

public sealed record ChildList(IReadOnlyList<string> Children, Stat Stat);

public sealed record NodeAcl(IReadOnlyList<Acl> Acl, Stat Stat);

/// <summary>Backend counters for srvr/mntr.</summary>
/// <remarks><paramref name="MonitorValues"/>: extra mntr keys (without zk_), e.g. the cost meter's counts.</remarks>
public sealed record BackendStatistics(int NodeCount, long ApproximateDataSize, int EphemeralCount, int SessionCount, IReadOnlyList<KeyValuePair<string, string>>? MonitorValues = null);

/// <summary>
/// A watch notification for one watcher: WatcherEvent{type, state=SyncConnected, path} with the
/// triggering zxid (-1 when synthesized). <see cref="Acl"/> is the ACL of the node the event is about:
/// the watch is consumed either way, but the event reaches the watcher only if its connection holds
/// READ there (ServerCnxn.process, CVE-2024-23944). Null (synthesized SetWatches events): no check.
/// </summary>
public readonly record struct WatchEvent(EventType Type, string Path, long Zxid, IReadOnlyList<Acl>? Acl = null);

/// <summary>Where the backend delivers watch events (the gateway's inbox).</summary>
public interface INotificationSink
{
    /// <summary>
    /// Delivers an event to a watcher. Called in zxid order, before the reply of the write that
    /// caused it completes; must not block.
    /// </summary>
    void Deliver(long watcher, WatchEvent watchEvent);

    /// <summary>The session has ended (expired or closed); its connection should be closed.</summary>
    void SessionClosed(long sessionId);

    /// <summary>
    /// The oldest write a session's client submitted that is not answered yet took its place in the
    /// total order at <paramref name="zxid"/>. Called in zxid order, before the events of any later
    /// transaction are delivered and before the write's task completes, so that a connection can
    /// send the reply to write N before the events of write N+1 (ZooKeeper's order for pipelined writes).
    /// </summary>
    void WriteOrdered(long sessionId, long zxid)
    {
    }
}

// ---- write operations ----------------------------------------------------------------------

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

/// <summary>The outcome of one operation (a multi has one per op).</summary>
public sealed record OpResult(ErrorCode Error, string? Path = null, Stat? Stat = null);

/// <summary>
/// The outcome of a write. <see cref="Zxid"/> is the transaction's zxid (failed writes consume one too).
/// For multi, <see cref="Error"/> is Ok and <see cref="MultiResults"/> holds the per-op results
/// (0 before the failing op, its code, then RuntimeInconsistency).
/// </summary>
public sealed record WriteResult(ErrorCode Error, long Zxid, OpResult? Result = null, IReadOnlyList<OpResult>? MultiResults = null);
