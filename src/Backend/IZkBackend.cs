using ZkGateway.Jute.Data;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.Backend;

/// <summary>
/// The narrow waist between the gateway and the coordination backend: one method per ZooKeeper
/// operation, domain arguments only (paths, data, versions, <see cref="Stat"/>, <see cref="Acl"/>),
/// never the wire records. Request failures are values (<see cref="ErrorCode"/>), not exceptions.
/// <para>
/// Writes go through the FaaSKeeper pipeline (writer queue, writer function, distributor queue,
/// distributor function) and complete when they are durable and applied. Reads go straight to user
/// storage. Watches are registered per watcher (one per client connection) and delivered to the
/// <see cref="INotificationSink"/> given at construction.
/// </para>
/// </summary>
public interface IZkBackend : IAsyncDisposable
{
    /// <summary>
    /// Highest zxid assigned so far, possibly a cached value (AWS: up to a second old, never below what
    /// this gateway has applied). A client whose lastZxidSeen is above it is refused once
    /// <see cref="ReadLastZxidAsync"/> confirms it.
    /// </summary>
    ValueTask<long> GetLastZxidAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// <see cref="GetLastZxidAsync"/> read now, where that may be a cached value (a handshake asks
    /// before refusing a client that seems ahead).
    /// </summary>
    ValueTask<long> ReadLastZxidAsync(CancellationToken cancellationToken = default) => GetLastZxidAsync(cancellationToken);

    /// <summary>The zxid of the last applied transaction; read replies carry it.</summary>
    long LastAppliedZxid { get; }

    /// <summary>Counts for the four-letter words.</summary>
    ValueTask<BackendStatistics> GetStatisticsAsync(CancellationToken cancellationToken = default);

    /// <summary>A consistent copy of the state taken while serving, where the deployment's store can make one (embedded); null otherwise.</summary>
    IOnlineBackup? OnlineBackup => null;

    // ---- sessions ------------------------------------------------------------------------

    /// <summary>Creates a session through the write path (it consumes a zxid, as in ZooKeeper).</summary>
    ValueTask<SessionGrant> CreateSessionAsync(int timeoutMs, CancellationToken cancellationToken = default);

    /// <summary>
    /// Checks a resume: the session exists, is not closing, and the password matches. On success the
    /// session's timeout is renegotiated and its lease renewed.
    /// </summary>
    ValueTask<bool> TryResumeSessionAsync(long sessionId, ReadOnlyMemory<byte> password, int timeoutMs, CancellationToken cancellationToken = default);

    /// <summary>closeSession: marks the session closing, then deletes its ephemerals through the write path.</summary>
    Task<WriteResult> CloseSessionAsync(long sessionId, CancellationToken cancellationToken = default);

    /// <summary>Renews the session's lease (every packet from its client does this).</summary>
    void TouchSession(long sessionId);

    /// <summary>Whether the session is live (not expired, not closing).</summary>
    bool IsSessionLive(long sessionId);

    // ---- writes --------------------------------------------------------------------------

    /// <summary>
    /// Submits a write (create, delete, setData, multi, sync, closeSession) on behalf of a session.
    /// Submissions of one session are applied in the order they are made. The task completes once
    /// the write is durable and applied and its watch events have been delivered.
    /// </summary>
    /// <remarks><paramref name="caller"/>: the connection's authenticated ids (null = none).</remarks>
    Task<WriteResult> SubmitAsync(long sessionId, WriteOperation operation, CallerIdentity? caller = null, CancellationToken cancellationToken = default);

    // ---- reads (straight from user storage) -------------------------------------------------

    // Reads take the caller's identity (null = no authenticated ids): NoNode first, then NoAuth (READ).

    /// <summary>exists: the node's Stat, or NoNode. With a watcher, a data watch is set either way. No ACL check (as 3.8.0).</summary>
    ValueTask<ReadResult<Stat>> ExistsAsync(string path, long? watcher, CallerIdentity? caller = null, CancellationToken cancellationToken = default);

    /// <summary>getData: data and Stat, or NoNode. With a watcher, a data watch is set only if the node exists.</summary>
    ValueTask<ReadResult<NodeData>> GetDataAsync(string path, long? watcher, CallerIdentity? caller = null, CancellationToken cancellationToken = default);

    /// <summary>getChildren/getChildren2: child names and the parent's Stat. With a watcher, a child watch is set if the node exists.</summary>
    ValueTask<ReadResult<ChildList>> GetChildrenAsync(string path, long? watcher, CallerIdentity? caller = null, CancellationToken cancellationToken = default);

    /// <summary>getACL: the node's ACL and Stat; needs READ or ADMIN; without ADMIN digest ids come back as <c>user:x</c>.</summary>
    ValueTask<ReadResult<NodeAcl>> GetAclAsync(string path, CallerIdentity? caller = null, CancellationToken cancellationToken = default);

    /// <summary>getAllChildrenNumber: the number of all descendants; NoNode, then NoAuth (READ on the node).</summary>
    ValueTask<ReadResult<int>> GetAllChildrenNumberAsync(string path, CallerIdentity? caller = null, CancellationToken cancellationToken = default);

    /// <summary>getEphemerals: this session's ephemeral nodes whose path starts with the prefix ("" or "/" = all).</summary>
    ValueTask<ReadResult<IReadOnlyList<string>>> GetEphemeralsAsync(long sessionId, string prefix, CancellationToken cancellationToken = default);

    // ---- watches -------------------------------------------------------------------------

    /// <summary>
    /// SetWatches on reconnect, with relativeZxid semantics: watches whose node changed after
    /// <paramref name="relativeZxid"/> fire now (events with zxid -1, delivered to the sink before this
    /// returns); the others are registered.
    /// </summary>
    /// <remarks>
    /// SetWatches2 adds <paramref name="persistentWatches"/> and <paramref name="persistentRecursiveWatches"/>,
    /// which are simply registered again (no events are synthesized for them).
    /// </remarks>
    ValueTask SetWatchesAsync(long watcher, long relativeZxid, IReadOnlyList<string> dataWatches, IReadOnlyList<string> existWatches, IReadOnlyList<string> childWatches, IReadOnlyList<string>? persistentWatches = null, IReadOnlyList<string>? persistentRecursiveWatches = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// addWatch: registers a persistent (mode 0) or persistent recursive (mode 1) watch, whether the
    /// node exists or not (no NoNode, no ACL check, as 3.8.0). Returns the last applied zxid.
    /// </summary>
    ValueTask<long> AddWatchAsync(string path, AddWatchMode mode, long watcher, CancellationToken cancellationToken = default);

    /// <summary>checkWatches (Children, Data or Any): as 3.8.0, true when <b>any</b> connection holds such a watch on exactly this path.</summary>
    bool CheckWatches(string path, WatcherType type);

    /// <summary>removeWatches (Children, Data or Any): removes this watcher's watches of that table (persistent ones too); false if it had none.</summary>
    bool RemoveWatches(string path, WatcherType type, long watcher);

    /// <summary>Drops every watch of a watcher (its connection closed).</summary>
    void RemoveWatcher(long watcher);

    /// <summary>Number of registered watches, and of watched paths, for wchs/mntr.</summary>
    (int Watches, int Paths) WatchCounts();

    /// <summary>Each watcher's watched paths, sorted (wchc, wchp); empty where the backend cannot list them.</summary>
    IReadOnlyDictionary<long, IReadOnlyList<string>> WatchedPaths() => new Dictionary<long, IReadOnlyList<string>>();
}
