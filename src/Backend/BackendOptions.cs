namespace ZkGateway.Backend;

/// <summary>
/// Settings of the backend, built once per process from its configuration: the gateway's zoo.cfg-style
/// keys (GatewayHost), or the function host's command line and environment (FunctionHostConfiguration,
/// for the host mode and Lambda alike). Init-only: nothing changes them once the backend runs.
/// </summary>
public sealed class BackendOptions
{
    /// <summary>Where the embedded provider keeps its SQLite database.</summary>
    public string DataDir { get; init; } = Path.Combine(Environment.CurrentDirectory, "zkdata");

    /// <summary>ZooKeeper's tickTime: session deadlines are rounded up to a multiple of it, and a gateway's local expiry runs every half tick.</summary>
    public int TickTime { get; init; } = 2000;

    /// <summary>The server id in the top byte of session ids.</summary>
    public int ServerId { get; init; }

    /// <summary>zookeeper.extendedTypesEnabled: TTL nodes. Off by default, as in ZooKeeper.</summary>
    public bool ExtendedTypesEnabled { get; init; }

    /// <summary>
    /// zookeeper.enforceQuota: creates and setData past a hard quota fail with QuotaExceeded, and passing
    /// a soft one is logged. Off by default, as in ZooKeeper (which then checks nothing).
    /// </summary>
    public bool EnforceQuota { get; init; }

    /// <summary>znode.container.checkIntervalMs: how often the reaper looks for container and TTL nodes to delete (ZooKeeper: 60000).</summary>
    public int ContainerCheckIntervalMs { get; init; } = 60_000;

    /// <summary>znode.container.maxPerMinute: at most this many reaper deletions a minute (ZooKeeper: 10000).</summary>
    public int ContainerMaxPerMinute { get; init; } = 10_000;

    /// <summary>
    /// znode.container.maxNeverUsedIntervalMs: a container that never had a child is deleted once unchanged
    /// for longer than this; 0 (ZooKeeper's default) keeps it for ever.
    /// </summary>
    public long ContainerMaxNeverUsedIntervalMs { get; init; }

    /// <summary>
    /// Embedded deployment: a snapshot of the state is taken once the transaction log since the last
    /// one holds this many bytes and at least the last snapshot's size (see DurableStore). 64 MiB.
    /// </summary>
    public long SnapshotLogBytes { get; init; } = 64L << 20;

    /// <summary>At most this many queued writes are committed together (group commit).</summary>
    public int MaxWriteBatch { get; init; } = 256;

    /// <summary>
    /// With the functions elsewhere (FaaSBackend.StartRemote: reads straight from cloud storage): how
    /// long a read of a node whose epoch stamp names triggers this gateway's inbox has not handled yet
    /// waits for them before it is answered anyway (counted in mntr as zk_epoch_read_wait_timeouts).
    /// The inbox normally catches up within a queue hop.
    /// </summary>
    public int EpochWaitMs { get; init; } = 2000;

    /// <summary>
    /// A gateway on a shared lease store (AWS): how often it renews its liveness while it serves a
    /// session (each renewal is valid for one and a half times this). It trades the idle bill (one write
    /// unit per renewal) against how late the sessions of a gateway that died are expired: at most one
    /// and a half periods, the session timeout and one heartbeat interval after the death
    /// (docs/serverless.md, "Idle cost").
    /// </summary>
    public int LivenessRenewalMs { get; init; } = 90_000;

    /// <summary>
    /// The function host: how often the heartbeat function looks for the sessions of gateways that are
    /// gone. On Lambda it runs on EventBridge's one-minute schedule; the default agrees with it.
    /// </summary>
    public int HeartbeatIntervalMs { get; init; } = 60_000;

    /// <summary>This gateway's name in reply addresses.</summary>
    public string GatewayId { get; init; } = "embedded";
}
