using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ZkGateway.Backend;
using ZkGateway.Jute.Data;

namespace ZkGateway.Gateway.Connections;

/// <summary>
/// One client connection after its handshake. Owned by its read loop: only that loop touches the
/// session id, the <see cref="Scheduler"/> and the per-connection counters (the writer loop and other
/// threads touch only <see cref="Outbound"/>, which is thread-safe, and the statistics fields, which
/// are read racily for four-letter words).
/// </summary>
public sealed class ZkConnection : IReplyObserver
{
    private readonly ConnectionContext _context;
    private GatewayStatistics? _statistics;

    /// <param name="id">The connection id (<see cref="Id"/>).</param>
    /// <param name="context">The transport, closed by <see cref="Abort"/>.</param>
    /// <param name="logger">Where a request that fails with an exception is logged (none by default).</param>
    public ZkConnection(long id, ConnectionContext context, ILogger? logger = null)
    {
        Id = id;
        _context = context;
        Scheduler = new RequestScheduler(this, logger ?? NullLogger.Instance);
        RemoteEndPoint = context.RemoteEndPoint as IPEndPoint;
        Established = DateTimeOffset.UtcNow;
        // Every connection implicitly holds ip:<client address> (IPAuthenticationProvider).
        var address = RemoteEndPoint?.Address;
        if (address is not null && address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }
        Caller = address is null ? CallerIdentity.Anonymous : IpCallers.Of(address);
    }

    /// <summary>
    /// The authenticated ids of this connection (ZooKeeper keeps authInfo per connection: a client
    /// re-sends addauth after reconnecting). Immutable snapshots: a request carries the ids it was read with.
    /// </summary>
    public CallerIdentity Caller
    {
        get => Volatile.Read(ref _caller);
        private set => Volatile.Write(ref _caller, value);
    }

    // Written by the read loop; read by the distributor's thread when it filters watch events.
    private CallerIdentity _caller = CallerIdentity.Anonymous;

    /// <summary>addauth: adds an id unless the connection already holds it (in ZooKeeper's iteration order).</summary>
    public void AddAuth(Id id) => Caller = Caller.With(id);

    /// <summary>The connection's SASL exchange, from its first sasl request on (<see cref="Sasl.SaslAuthenticator"/>).</summary>
    public Sasl.ISaslServerMechanism? SaslExchange { get; set; }

    /// <summary>Connection id; also the watcher id the backend registers this connection's watches under.</summary>
    public long Id { get; }

    public IPEndPoint? RemoteEndPoint { get; }

    public DateTimeOffset Established { get; }

    public OutboundQueue Outbound { get; } = new();

    public long SessionId { get; set; }

    public int SessionTimeout { get; set; }

    /// <summary>Whether the client sent the trailing readOnly byte in its ConnectRequest.</summary>
    public bool ClientSentReadOnly { get; set; }

    /// <summary>The session password the handshake granted or accepted (shared with the session, not a copy).</summary>
    public byte[]? SessionPassword { get; set; }

    /// <summary>
    /// The ConnectResponse the handshake sent, made again from the session's fields: 3.8.0 sends it
    /// again for a client-sent createSession. (Kept as fields, not as the record: issue 14.)
    /// </summary>
    public ZkGateway.Jute.Proto.ConnectResponse Handshake =>
        new(0, SessionTimeout, SessionId, SessionPassword, ClientSentReadOnly ? false : null);

    /// <summary>When each request runs, in ZooKeeper's FIFO order (the read loop's).</summary>
    internal RequestScheduler Scheduler { get; }

    // ---- statistics for four-letter words (written by the loops, read racily) ------------------
    public long PacketsReceived;
    public long PacketsSent;
    public long LastCxid;
    public long LastZxid;
    public string LastOperation = "NA";
    public long LastResponseTime;
    public long LastLatency;
    public long MinLatency = long.MaxValue;
    public long MaxLatency;
    public long TotalLatency;
    public long LatencyCount;
    public int Outstanding;

    public void RecordReply(long latencyMs)
    {
        Interlocked.Increment(ref PacketsSent);
        LastLatency = latencyMs;
        LastResponseTime = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        MinLatency = Math.Min(MinLatency, latencyMs);
        MaxLatency = Math.Max(MaxLatency, latencyMs);
        TotalLatency += latencyMs;
        LatencyCount++;
    }

    /// <summary>From now on each written reply is counted in <paramref name="statistics"/> (after the handshake).</summary>
    public void CountRepliesIn(GatewayStatistics statistics)
    {
        _statistics = statistics;
        Outbound.ReplyObserver = this;
    }

    void IReplyObserver.ReplySent(int opType, long startTicks) => _statistics?.RecordReply(this, opType, startTicks);

    /// <summary>crst: ServerCnxn.resetStats (the counters and latencies; the session stays).</summary>
    public void ResetStatistics()
    {
        Interlocked.Exchange(ref PacketsReceived, 0);
        Interlocked.Exchange(ref PacketsSent, 0);
        LastCxid = -1;
        LastZxid = -1;
        LastOperation = "NA";
        LastResponseTime = 0;
        LastLatency = 0;
        MinLatency = long.MaxValue;
        MaxLatency = 0;
        TotalLatency = 0;
        LatencyCount = 0;
    }

    /// <summary>Closes the transport (another connection took over the session, or the server is stopping).</summary>
    public void Abort() => _context.Abort(new ConnectionAbortedException("Connection closed by the server."));
}
