using ZkGateway.Backend;

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

    public void RecordReceived() => Interlocked.Increment(ref _received);

    /// <summary>A reply left the connection: count it and its latency (ms, as ZooKeeper reports).</summary>
    public void RecordReply(ZkConnection connection, int opType, long startTicks)
    {
        long latency = Math.Max(0, Environment.TickCount64 - startTicks);
        Interlocked.Increment(ref _sent);
        Interlocked.Add(ref _totalLatency, latency);
        Interlocked.Increment(ref _latencyCount);
        InterlockedMin(ref _minLatency, latency);
        InterlockedMax(ref _maxLatency, latency);
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
    }

    public async ValueTask<ServerSnapshot> SnapshotAsync(IZkBackend backend, ConnectionRegistry registry)
    {
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
        return new ServerSnapshot
        {
            Zxid = await backend.GetLastZxidAsync().ConfigureAwait(false),
            NodeCount = stats.NodeCount,
            Connections = connections,
            MinLatency = count == 0 ? 0 : Interlocked.Read(ref _minLatency),
            AvgLatency = count == 0 ? 0 : (double)Interlocked.Read(ref _totalLatency) / count,
            MaxLatency = Interlocked.Read(ref _maxLatency),
            PacketsReceived = Interlocked.Read(ref _received),
            PacketsSent = Interlocked.Read(ref _sent),
            WatchedPaths = paths,
            WatchCount = watches,
            WatchingConnections = watches == 0 ? 0 : connections.Count,
            EphemeralsCount = stats.EphemeralCount,
            ApproximateDataSize = stats.ApproximateDataSize,
            ExtraMonitorValues = stats.MonitorValues ?? [],
            Uptime = DateTimeOffset.UtcNow - _started,
            SessionCount = stats.SessionCount,
        };
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
