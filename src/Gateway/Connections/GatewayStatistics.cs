using ZkGateway.Backend;
using ZkGateway.Gateway.Metrics;

namespace ZkGateway.Gateway.Connections;

/// <summary>
/// Server-wide counters for the four-letter words (srvr, stat, mntr, cons), and the snapshot built
/// from them. Updated with interlocked operations from every connection; read racily, as ZooKeeper does.
/// </summary>
public sealed class GatewayStatistics
{
    private readonly DateTimeOffset _started = DateTimeOffset.UtcNow;
    private long _received;
    private long _sent;
    private long _minLatency = long.MaxValue;
    private long _maxLatency;
    private long _totalLatency;
    private long _latencyCount;

    /// <summary>ZooKeeper's counters and summaries (mntr, monitor, Prometheus).</summary>
    public ServerMetrics Metrics { get; } = new();

    /// <summary>A request frame of <paramref name="frameBytes"/> bytes (length prefix included) was read.</summary>
    public void RecordReceived(int frameBytes)
    {
        Interlocked.Increment(ref _received);
        Metrics.AddBytesReceived(frameBytes);
    }

    /// <summary>A ConnectRequest was read (connection_request_count).</summary>
    public void RecordConnectionRequest() => Metrics.CountConnectionRequest();

    /// <summary>A reply left the connection: count it and its latency (ms, as ZooKeeper reports).</summary>
    public void RecordReply(ZkConnection connection, int opType, long startTicks)
    {
        long latency = Math.Max(0, Environment.TickCount64 - startTicks);
        Interlocked.Increment(ref _sent);
        Interlocked.Add(ref _totalLatency, latency);
        Interlocked.Increment(ref _latencyCount);
        InterlockedMin(ref _minLatency, latency);
        InterlockedMax(ref _maxLatency, latency);
        Metrics.RecordLatency(opType, latency);
        connection.LastOperation = OperationName(opType);
        connection.RecordReply(latency);
    }

    /// <summary>srst: reset the server statistics.</summary>
    public void Reset()
    {
        Interlocked.Exchange(ref _received, 0);
        Interlocked.Exchange(ref _sent, 0);
        Interlocked.Exchange(ref _minLatency, long.MaxValue);
        Interlocked.Exchange(ref _maxLatency, 0);
        Interlocked.Exchange(ref _totalLatency, 0);
        Interlocked.Exchange(ref _latencyCount, 0);
        Metrics.Reset();
    }

    /// <summary>The data directory whose size dirs and srvr report (null: 0).</summary>
    public string? DataDir { get; init; }

    /// <summary>
    /// The statistics now. <paramref name="withEphemerals"/> also lists each session's ephemeral nodes
    /// (dump), which costs a backend read per session, so only dump asks for it; <paramref name="withQuotas"/>
    /// reads the quota gauge sets (a walk of /zookeeper/quota), for mntr, monitor and a scrape.
    /// </summary>
    public async ValueTask<ServerSnapshot> SnapshotAsync(IZkBackend backend, ConnectionRegistry registry, bool withEphemerals = false, bool withQuotas = false)
    {
        // Before the backend's statistics: the cost meter's lines they carry then count this walk too.
        var quotaGaugeSets = withQuotas ? await QuotaMetrics.CollectAsync(backend, CancellationToken.None).ConfigureAwait(false) : [];
        var stats = await backend.GetStatisticsAsync().ConfigureAwait(false);
        var (watches, paths) = backend.WatchCounts();
        long count = Interlocked.Read(ref _latencyCount);
        var connections = registry.Connections.Select(c => new ConnectionSnapshot
        {
            RemoteEndPoint = c.RemoteEndPoint,
            SessionId = c.SessionId,
            SessionTimeout = c.SessionTimeout,
            PacketsReceived = Interlocked.Read(ref c.PacketsReceived),
            PacketsSent = Interlocked.Read(ref c.PacketsSent),
            LastOperation = c.LastOperation,
            LastCxid = c.LastCxid,
            LastZxid = c.LastZxid,
            LastResponseTime = c.LastResponseTime,
            LastLatency = c.LastLatency,
            MinLatency = c.LatencyCount == 0 ? 0 : c.MinLatency,
            AvgLatency = c.LatencyCount == 0 ? 0 : c.TotalLatency / c.LatencyCount,
            MaxLatency = c.MaxLatency,
            Established = c.Established,
        }).ToList();
        // Watchers are connections: wchc and wchp name them by their session.
        var sessionOf = registry.Connections.ToDictionary(c => c.Id, c => c.SessionId);
        var watched = backend.WatchedPaths()
            .Where(kv => sessionOf.ContainsKey(kv.Key) && kv.Value.Count > 0)
            .Select(kv => (Session: sessionOf[kv.Key], Paths: kv.Value))
            .OrderBy(x => x.Session)
            .ToList();
        var sessions = registry.Connections.Where(c => c.SessionId != 0)
            .Select(c => new SessionSnapshot(c.SessionId, c.SessionTimeout, DateTimeOffset.UtcNow.AddMilliseconds(c.SessionTimeout)))
            .DistinctBy(x => x.SessionId)
            .ToList();
        var ephemerals = new Dictionary<long, IReadOnlyList<string>>();
        if (withEphemerals)
        {
            foreach (var session in sessions)
            {
                var owned = await backend.GetEphemeralsAsync(session.SessionId, "/").ConfigureAwait(false);
                if (owned.Value is { Count: > 0 } ownedPaths)
                {
                    ephemerals[session.SessionId] = ownedPaths;
                }
            }
        }
        long dataDirSize = DirectorySize(DataDir);
        return new ServerSnapshot
        {
            Zxid = await backend.GetLastZxidAsync().ConfigureAwait(false),
            NodeCount = stats.NodeCount,
            LastSnapshot = stats.LastSnapshot,
            Connections = connections,
            MinLatency = count == 0 ? 0 : Interlocked.Read(ref _minLatency),
            AvgLatency = count == 0 ? 0 : (double)Interlocked.Read(ref _totalLatency) / count,
            MaxLatency = Interlocked.Read(ref _maxLatency),
            PacketsReceived = Interlocked.Read(ref _received),
            PacketsSent = Interlocked.Read(ref _sent),
            WatchedPaths = paths,
            WatchCount = watches,
            WatchingConnections = watched.Count == 0 && watches > 0 ? connections.Count : watched.Count,
            WatchesBySession = watched.ToDictionary(x => x.Session, x => x.Paths),
            WatchesByPath = watched.SelectMany(x => x.Paths.Select(p => (Path: p, x.Session)))
                .GroupBy(x => x.Path, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => (IReadOnlyList<long>)[.. g.Select(x => x.Session).Order()], StringComparer.Ordinal),
            Sessions = sessions,
            EphemeralsBySession = ephemerals,
            DataDirSize = dataDirSize,
            LogDirSize = dataDirSize,
            EphemeralsCount = stats.EphemeralCount,
            ApproximateDataSize = stats.ApproximateDataSize,
            ExtraMonitorValues = stats.MonitorValues ?? [],
            QuotaGaugeSets = quotaGaugeSets,
            MetricValues = [.. Metrics.Dump()],
            Uptime = DateTimeOffset.UtcNow - _started,
            SessionCount = stats.SessionCount,
        };
    }

    // ZooKeeperServer.getDataDirSize: the bytes of the files under the directory.
    private static long DirectorySize(string? dir)
    {
        try
        {
            return dir is not null && Directory.Exists(dir)
                ? new DirectoryInfo(dir).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length)
                : 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
    }

    /// <summary>ZooKeeper's short operation names in cons (Request.op2String).</summary>
    private static string OperationName(int opType) => opType switch
    {
        1 => "CREA",
        2 => "DELE",
        3 => "EXIS",
        4 => "GETD",
        5 => "SETD",
        6 => "GETA",
        7 => "SETA",
        8 => "GETC",
        9 => "SYNC",
        11 => "PING",
        12 => "GETC",
        13 => "CHEC",
        14 => "MULT",
        15 => "CREA",
        19 => "CREA",
        21 => "CREA",
        22 => "MLTR",
        100 => "AUTH",
        101 => "SETW",
        103 => "GETE",
        104 => "GETACN",
        105 => "SETW",
        -11 => "CLOSE",
        _ => "UNKNOWN",
    };

    private static void InterlockedMin(ref long target, long value)
    {
        long current;
        while (value < (current = Interlocked.Read(ref target)) && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }

    private static void InterlockedMax(ref long target, long value)
    {
        long current;
        while (value > (current = Interlocked.Read(ref target)) && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }
}
