using System.Net;

namespace ZkGateway.Gateway;

// These types live in ZkGateway.Gateway (not ZkGateway.Gateway.FourLetterWords) so that the class
// FourLetterWords is not shadowed by a namespace of the same name in callers.

/// <summary>Version strings reported by srvr/stat/mntr/envi.</summary>
public static class GatewayVersion
{
    /// <summary>ZooKeeper-compatible version with our qualifier (go-zk's regex allows <c>[A-Za-z0-9.-]+</c>).</summary>
    public const string Version = "3.8.0-ZkGateway";

    /// <summary>
    /// Build date in ZooKeeper's pre-3.7 <c>MM/dd/yyyy HH:mm z</c> form, which go-zookeeper's FLWSrvr requires
    /// (ZK ≥ 3.7 prints <c>yyyy-MM-dd</c>; ZOOKEEPER-3786).
    /// </summary>
    public const string BuildDate = "11/26/2026 00:00 GMT";

    /// <summary>Like ZooKeeper's <c>Version.getFullVersion()</c>.</summary>
    public const string FullVersion = Version + ", built on " + BuildDate;
}

/// <summary>
/// Point-in-time server statistics for the four-letter words. Produced by the connection layer,
/// consumed by <see cref="FourLetterWords.Respond"/>. All properties have neutral defaults.
/// </summary>
public sealed record ServerSnapshot
{
    /// <summary>Full version line, e.g. <c>3.8.0-ZkGateway, built on 11/26/2026 00:00 GMT</c>.</summary>
    public string FullVersion { get; init; } = GatewayVersion.FullVersion;

    /// <summary>False prints ZooKeeper's "not currently serving requests" for server-state commands.</summary>
    public bool IsRunning { get; init; } = true;

    /// <summary><c>standalone</c> (ZooKeeper: leader/follower/observer/standalone).</summary>
    public string ServerState { get; init; } = "standalone";

    /// <summary>The backend's newest snapshot (last_snapshot); null where it takes none.</summary>
    public Backend.SnapshotInfo? LastSnapshot { get; init; }

    /// <summary>Last processed zxid.</summary>
    public long Zxid { get; init; }

    /// <summary>Number of znodes (ZooKeeper counts the root and /zookeeper subtree).</summary>
    public long NodeCount { get; init; }

    /// <summary>Live client connections (sessions and pending handshakes).</summary>
    public IReadOnlyList<ConnectionSnapshot> Connections { get; init; } = [];

    /// <summary>Server-wide request latency in ms.</summary>
    public long MinLatency { get; init; }

    /// <summary>Server-wide average request latency in ms (ZooKeeper rounds to 4 decimals).</summary>
    public double AvgLatency { get; init; }

    /// <summary>Server-wide maximum request latency in ms.</summary>
    public long MaxLatency { get; init; }

    /// <summary>Packets received by the server.</summary>
    public long PacketsReceived { get; init; }

    /// <summary>Packets sent by the server.</summary>
    public long PacketsSent { get; init; }

    /// <summary>Requests accepted but not yet answered.</summary>
    public long Outstanding { get; init; }

    /// <summary>wchs: the number of connections with at least one watch.</summary>
    public int WatchingConnections { get; init; }

    /// <summary>wchs: the number of distinct watched paths.</summary>
    public int WatchedPaths { get; init; }

    /// <summary>wchs "Total watches" / mntr zk_watch_count.</summary>
    public long WatchCount { get; init; }

    /// <summary>wchc: session id → watched paths (optional).</summary>
    public IReadOnlyDictionary<long, IReadOnlyList<string>> WatchesBySession { get; init; } = new Dictionary<long, IReadOnlyList<string>>();

    /// <summary>wchp: path → watching session ids (optional).</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<long>> WatchesByPath { get; init; } = new Dictionary<string, IReadOnlyList<long>>();

    /// <summary>Number of ephemeral znodes.</summary>
    public long EphemeralsCount { get; init; }

    /// <summary>dump: session id → ephemeral paths (optional).</summary>
    public IReadOnlyDictionary<long, IReadOnlyList<string>> EphemeralsBySession { get; init; } = new Dictionary<long, IReadOnlyList<string>>();

    /// <summary>Sum of path lengths and data sizes, like ZooKeeper's approximate data size.</summary>
    public long ApproximateDataSize { get; init; }

    /// <summary>Time since the server started.</summary>
    public TimeSpan Uptime { get; init; }

    /// <summary>Live sessions (mntr zk_global_sessions).</summary>
    public long SessionCount { get; init; }

    /// <summary>dump: live session ids with their timeouts (optional).</summary>
    public IReadOnlyList<SessionSnapshot> Sessions { get; init; } = [];

    /// <summary>dirs: bytes in the data directory.</summary>
    public long DataDirSize { get; init; }

    /// <summary>dirs: bytes in the log directory.</summary>
    public long LogDirSize { get; init; }

    /// <summary>gtmk: the text trace mask (ZooKeeper's default is 306).</summary>
    public long TraceMask { get; init; } = 306;

    /// <summary>Backend-specific mntr keys (without zk_), printed after ZooKeeper's own: the AWS cost meter.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> ExtraMonitorValues { get; init; } = [];

    /// <summary>
    /// The quota gauge sets (QuotaMetricsUtils) by name, each namespace's value: read only for mntr,
    /// monitor and a scrape, as each costs a walk of /zookeeper/quota through the backend.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, IReadOnlyDictionary<string, long>>> QuotaGaugeSets { get; init; } = [];

    /// <summary>The counters and summaries of ServerMetrics as its dump gives them (mntr, monitor).</summary>
    public IReadOnlyList<KeyValuePair<string, object>> MetricValues { get; init; } = [];

    /// <summary>Open file descriptors; null = read from /proc when available.</summary>
    public long? OpenFileDescriptorCount { get; init; }

    /// <summary>Max file descriptors; null = read from /proc when available.</summary>
    public long? MaxFileDescriptorCount { get; init; }
}

/// <summary>A session, for <c>dump</c>: its id, negotiated timeout and next expiry deadline.</summary>
public sealed record SessionSnapshot(long SessionId, int Timeout, DateTimeOffset ExpiresAt);

/// <summary>Per-connection statistics, printed by <c>cons</c> and <c>stat</c> like ZooKeeper's ServerCnxn.dumpConnectionInfo.</summary>
public sealed record ConnectionSnapshot
{
    /// <summary>The client's address.</summary>
    public EndPoint? RemoteEndPoint { get; init; }

    /// <summary>Session id, 0 before the handshake (then cons prints only queued/recved/sent).</summary>
    public long SessionId { get; init; }

    /// <summary>Negotiated session timeout in ms.</summary>
    public int SessionTimeout { get; init; }

    /// <summary>Requests queued (outstanding) on this connection.</summary>
    public long Queued { get; init; }

    /// <summary>Packets received on this connection.</summary>
    public long PacketsReceived { get; init; }

    /// <summary>Packets sent on this connection.</summary>
    public long PacketsSent { get; init; }

    /// <summary>Short name of the last operation (ZooKeeper's Request.op2String: GETD, SETD, CREA, PING, ...); "NA" initially.</summary>
    public string LastOperation { get; init; } = "NA";

    /// <summary>Last client xid; -1 (none) omits lcxid like ZooKeeper.</summary>
    public long LastCxid { get; init; } = -1;

    /// <summary>Last zxid; -1 initially (prints 0xffffffffffffffff like ZooKeeper).</summary>
    public long LastZxid { get; init; } = -1;

    /// <summary>Last response time, ms since the Unix epoch (0 if none).</summary>
    public long LastResponseTime { get; init; }

    /// <summary>Last request latency in ms.</summary>
    public long LastLatency { get; init; }

    /// <summary>Minimum request latency in ms.</summary>
    public long MinLatency { get; init; }

    /// <summary>Average request latency in ms (integer, like ZooKeeper's per-connection average).</summary>
    public long AvgLatency { get; init; }

    /// <summary>Maximum request latency in ms.</summary>
    public long MaxLatency { get; init; }

    /// <summary>When the session was established on this connection.</summary>
    public DateTimeOffset Established { get; init; }

    /// <summary>Selector interest ops as ZooKeeper prints them: 1 (read) for a normal connection, 0 while suspended.</summary>
    public int InterestOps { get; init; } = 1;
}
