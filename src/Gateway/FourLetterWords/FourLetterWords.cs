using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using ZkGateway.Gateway.Hosting;
using ZkGateway.Gateway.Metrics;

namespace ZkGateway.Gateway;

/// <summary>
/// ZooKeeper four-letter words: detection on the first 4 bytes of a connection (before the handshake)
/// and text responses in ZooKeeper's formats. Socket-independent: the connection handler writes
/// <see cref="Respond"/>'s result (ASCII/UTF-8) and closes the connection.
/// </summary>
public static class FourLetterWords
{
    /// <summary>ZooKeeper's AbstractFourLetterCommand.ZK_NOT_SERVING.</summary>
    public const string NotServing = "This ZooKeeper instance is not currently serving requests";

    /// <summary>All commands ZooKeeper knows (FourLetterCommands.cmd2String, minus the telnet close code).</summary>
    public static readonly IReadOnlyList<string> All =
    [
        "conf", "cons", "crst", "dirs", "dump", "envi", "gtmk", "ruok", "stmk",
        "srst", "srvr", "stat", "wchc", "wchp", "wchs", "mntr", "isro", "hash",
    ];

    private static readonly Dictionary<int, string> ByCode = All.ToDictionary(Code);

    private static int Code(string cmd) =>
        (cmd[0] << 24) | (cmd[1] << 16) | (cmd[2] << 8) | cmd[3];

    /// <summary>
    /// True when the first 4 bytes of a connection (which would otherwise be a frame length) are a known
    /// four-letter word. Only meaningful before the handshake. <c>stmk</c> is followed by an 8-byte
    /// big-endian trace mask the caller should read and pass to <see cref="Respond"/>.
    /// </summary>
    public static bool TryGetCommand(ReadOnlySpan<byte> first4, out string cmd)
    {
        if (first4.Length >= 4)
        {
            int code = (first4[0] << 24) | (first4[1] << 16) | (first4[2] << 8) | first4[3];
            if (ByCode.TryGetValue(code, out var found))
            {
                cmd = found;
                return true;
            }
        }
        cmd = "";
        return false;
    }

    /// <summary>
    /// The text ZooKeeper would write for <paramref name="cmd"/>, honouring the whitelist.
    /// Pure: <c>crst</c>/<c>srst</c> only produce the acknowledgement, the caller resets the stats
    /// (use <see cref="IsEnabled"/> to decide whether to).
    /// </summary>
    /// <param name="cmd">A command from <see cref="TryGetCommand"/>.</param>
    /// <param name="s">Current statistics.</param>
    /// <param name="o">Effective configuration (whitelist, conf values).</param>
    /// <param name="stmkArgument">For <c>stmk</c>: the 8-byte trace mask that followed the command.</param>
    public static string Respond(string cmd, ServerSnapshot s, GatewayOptions o, long stmkArgument = 0)
    {
        ArgumentNullException.ThrowIfNull(cmd);
        ArgumentNullException.ThrowIfNull(s);
        ArgumentNullException.ThrowIfNull(o);
        if (!IsEnabled(cmd, o))
        {
            return cmd + " is not executed because it is not in the whitelist.\n";
        }
        var sb = new StringBuilder(256);
        switch (cmd)
        {
            case "ruok":
                return "imok";
            case "isro":
                return s.IsRunning ? "rw" : "null";
            case "gtmk":
                return s.TraceMask.ToString(CultureInfo.InvariantCulture);
            case "stmk":
                return stmkArgument.ToString(CultureInfo.InvariantCulture);
            case "envi":
                Envi(sb, s);
                return sb.ToString();
        }
        if (!s.IsRunning)
        {
            return cmd == "hash" ? NotServing : NotServing + "\n";
        }
        switch (cmd)
        {
            case "srvr":
            case "stat":
                Stat(sb, s, cmd == "stat");
                break;
            case "cons":
                foreach (var c in s.Connections)
                {
                    ConnectionInfo(sb, c, brief: false);
                    sb.Append('\n');
                }
                sb.Append('\n');
                break;
            case "mntr":
                Mntr(sb, s);
                break;
            case "conf":
                Conf(sb, s, o);
                break;
            case "wchs":
                sb.Append(s.WatchingConnections).Append(" connections watching ").Append(s.WatchedPaths).Append(" paths\n");
                sb.Append("Total watches:").Append(s.WatchCount).Append('\n');
                break;
            case "wchc":
                foreach (var (sid, paths) in s.WatchesBySession)
                {
                    sb.Append("0x").Append(Hex(sid)).Append('\n');
                    foreach (var p in paths)
                    {
                        sb.Append('\t').Append(p).Append('\n');
                    }
                }
                sb.Append('\n');
                break;
            case "wchp":
                foreach (var (path, sids) in s.WatchesByPath)
                {
                    sb.Append(path).Append('\n');
                    foreach (var sid in sids)
                    {
                        sb.Append("\t0x").Append(Hex(sid)).Append('\n');
                    }
                }
                sb.Append('\n');
                break;
            case "dump":
                Dump(sb, s);
                break;
            case "crst":
                sb.Append("Connection stats reset.\n");
                break;
            case "srst":
                sb.Append("Server stats reset.\n");
                break;
            case "dirs":
                sb.Append("datadir_size: ").Append(s.DataDirSize).Append('\n');
                sb.Append("logdir_size: ").Append(s.LogDirSize).Append('\n');
                break;
            case "hash":
                // Digest tracking (zookeeper.digest.enabled) is not implemented: ZooKeeper prints an empty digest log.
                break;
            default:
                return cmd + " is not a supported command.\n";
        }
        return sb.ToString();
    }

    /// <summary>ZooKeeper's rule: whitelisted, or <c>*</c>, and <c>srvr</c> always.</summary>
    public static bool IsEnabled(string cmd, GatewayOptions o)
    {
        ArgumentNullException.ThrowIfNull(o);
        return o.IsFourLetterWordEnabled(cmd);
    }

    /// <summary>Lower-case unsigned hex like Java's Long.toHexString.</summary>
    public static string Hex(long v) => ((ulong)v).ToString("x", CultureInfo.InvariantCulture);

    /// <summary>Java's InetSocketAddress.toString for a connected socket: <c>/ip:port</c>.</summary>
    public static string FormatEndPoint(EndPoint? ep)
    {
        switch (ep)
        {
            case IPEndPoint ip:
                var addr = ip.Address.IsIPv4MappedToIPv6 ? ip.Address.MapToIPv4() : ip.Address;
                string text = addr.AddressFamily == AddressFamily.InterNetworkV6 ? JavaIPv6(addr) : addr.ToString();
                return "/" + text + ":" + ip.Port.ToString(CultureInfo.InvariantCulture);
            case null:
                return "null";
            default:
                return "/" + ep;
        }
    }

    // Java prints IPv6 uncompressed: 0:0:0:0:0:0:0:1 (plus %scope when present).
    private static string JavaIPv6(IPAddress a)
    {
        var b = a.GetAddressBytes();
        var parts = new string[8];
        for (int i = 0; i < 8; i++)
        {
            parts[i] = ((b[2 * i] << 8) | b[(2 * i) + 1]).ToString("x", CultureInfo.InvariantCulture);
        }
        string s = string.Join(':', parts);
        return a.ScopeId != 0 ? s + "%" + a.ScopeId.ToString(CultureInfo.InvariantCulture) : s;
    }

    /// <summary>Java's Double.toString for the latency averages (ZooKeeper rounds to 4 decimals first).</summary>
    public static string JavaDouble(double v)
    {
        v = Math.Round(v, 4, MidpointRounding.AwayFromZero);
        if (double.IsFinite(v) && v == Math.Floor(v) && Math.Abs(v) < 1e7)
        {
            return v.ToString("0", CultureInfo.InvariantCulture) + ".0";
        }
        return v.ToString("R", CultureInfo.InvariantCulture);
    }

    /// <summary>One connection as ServerCnxn.dumpConnectionInfo prints it (no trailing newline).</summary>
    public static void ConnectionInfo(StringBuilder sb, ConnectionSnapshot c, bool brief)
    {
        ArgumentNullException.ThrowIfNull(sb);
        ArgumentNullException.ThrowIfNull(c);
        sb.Append(' ').Append(FormatEndPoint(c.RemoteEndPoint)).Append('[');
        sb.Append(c.InterestOps == 0 ? "0" : c.InterestOps.ToString("x", CultureInfo.InvariantCulture));
        sb.Append("](queued=").Append(c.Queued).Append(",recved=").Append(c.PacketsReceived).Append(",sent=").Append(c.PacketsSent);
        if (!brief && c.SessionId != 0)
        {
            sb.Append(",sid=0x").Append(Hex(c.SessionId));
            sb.Append(",lop=").Append(c.LastOperation);
            sb.Append(",est=").Append(c.Established.ToUnixTimeMilliseconds());
            sb.Append(",to=").Append(c.SessionTimeout);
            if (c.LastCxid >= 0)
            {
                sb.Append(",lcxid=0x").Append(Hex(c.LastCxid));
            }
            sb.Append(",lzxid=0x").Append(Hex(c.LastZxid));
            sb.Append(",lresp=").Append(c.LastResponseTime);
            sb.Append(",llat=").Append(c.LastLatency);
            sb.Append(",minlat=").Append(c.MinLatency);
            sb.Append(",avglat=").Append(c.AvgLatency);
            sb.Append(",maxlat=").Append(c.MaxLatency);
        }
        sb.Append(')');
    }

    private static void Stat(StringBuilder sb, ServerSnapshot s, bool withClients)
    {
        sb.Append("Zookeeper version: ").Append(s.FullVersion).Append('\n');
        if (withClients)
        {
            sb.Append("Clients:\n");
            foreach (var c in s.Connections)
            {
                ConnectionInfo(sb, c, brief: true);
                sb.Append('\n');
            }
            sb.Append('\n');
        }
        sb.Append("Latency min/avg/max: ").Append(s.MinLatency).Append('/').Append(JavaDouble(s.AvgLatency)).Append('/').Append(s.MaxLatency).Append('\n');
        sb.Append("Received: ").Append(s.PacketsReceived).Append('\n');
        sb.Append("Sent: ").Append(s.PacketsSent).Append('\n');
        sb.Append("Connections: ").Append(s.Connections.Count).Append('\n');
        sb.Append("Outstanding: ").Append(s.Outstanding).Append('\n');
        sb.Append("Zxid: 0x").Append(Hex(s.Zxid)).Append('\n');
        sb.Append("Mode: ").Append(s.ServerState).Append('\n');
        sb.Append("Node count: ").Append(s.NodeCount).Append('\n');
    }

    // 3.8.0's mntr prints the monitor command's values: zk_key, a tab, Java's text of the value.
    private static void Mntr(StringBuilder sb, ServerSnapshot s)
    {
        foreach (var (key, value) in MonitorValues.All(s))
        {
            sb.Append("zk_").Append(key).Append('\t').Append(value switch
            {
                double d => JavaDouble(d),
                IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
                var other => other.ToString(),
            }).Append('\n');
        }
    }

    private static void Conf(StringBuilder sb, ServerSnapshot s, GatewayOptions o)
    {
        void Kv(string k, string v) => sb.Append(k).Append('=').Append(v).Append('\n');
        string I(long v) => v.ToString(CultureInfo.InvariantCulture);

        Kv("clientPort", I(o.ClientPort));
        Kv("secureClientPort", I(o.SecureClientPort));
        Kv("dataDir", Path.GetFullPath(o.DataDir));
        Kv("dataDirSize", I(s.DataDirSize));
        Kv("dataLogDir", Path.GetFullPath(o.EffectiveDataLogDir));
        Kv("dataLogSize", I(s.LogDirSize));
        Kv("tickTime", I(o.TickTime));
        Kv("maxClientCnxns", I(o.MaxClientCnxns));
        Kv("minSessionTimeout", I(o.EffectiveMinSessionTimeout));
        Kv("maxSessionTimeout", I(o.EffectiveMaxSessionTimeout));
        Kv("clientPortListenBacklog", I(o.ClientPortListenBacklog));
        Kv("serverId", I(o.ServerId));
        // Other configured keys (ZooKeeper prints extra lines in quorum mode too); secrets are not echoed.
        foreach (var (k, v) in o.Raw.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            if (ConfStandardKeys.Contains(k) || k.Contains("digest", StringComparison.OrdinalIgnoreCase)
                || k.Contains("password", StringComparison.OrdinalIgnoreCase) || k.Contains("secret", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }
            Kv(k, v);
        }
    }

    private static readonly HashSet<string> ConfStandardKeys = new(StringComparer.Ordinal)
    {
        ZooCfg.Keys.ClientPort, ZooCfg.Keys.DataDir, ZooCfg.Keys.DataLogDir, ZooCfg.Keys.TickTime, ZooCfg.Keys.MaxClientCnxns,
        ZooCfg.Keys.MinSessionTimeout, ZooCfg.Keys.MaxSessionTimeout, ZooCfg.Keys.ClientPortListenBacklog, ZooCfg.Keys.ServerId,
        ZooCfg.Keys.Verbose, ZooCfg.Keys.SecureClientPort,
    };

    private static void Dump(StringBuilder sb, ServerSnapshot s)
    {
        sb.Append("SessionTracker dump:\n");
        var groups = s.Sessions.GroupBy(x => x.ExpiresAt).OrderBy(g => g.Key).ToList();
        sb.Append("Session Sets (").Append(groups.Count).Append(")/(").Append(s.Sessions.Count).Append("):\n");
        foreach (var g in groups)
        {
            sb.Append(g.Count()).Append(" expire at ").Append(JavaDate(g.Key)).Append(":\n");
            foreach (var x in g)
            {
                sb.Append("\t0x").Append(Hex(x.SessionId)).Append('\n');
            }
        }
        sb.Append("ephemeral nodes dump:\n");
        sb.Append("Sessions with Ephemerals (").Append(s.EphemeralsBySession.Count).Append("):\n");
        foreach (var (sid, paths) in s.EphemeralsBySession)
        {
            sb.Append("0x").Append(Hex(sid)).Append(":\n");
            foreach (var p in paths)
            {
                sb.Append('\t').Append(p).Append('\n');
            }
        }
        // ZooKeeper's Netty factory prints nothing after this header (only NIO dumps its expiry queue).
        sb.Append("Connections dump:\n");
    }

    // java.util.Date.toString: "Thu Nov 26 18:34:28 UTC 2026".
    private static string JavaDate(DateTimeOffset t) =>
        t.UtcDateTime.ToString("ddd MMM dd HH:mm:ss 'UTC' yyyy", CultureInfo.InvariantCulture);

    private static void Envi(StringBuilder sb, ServerSnapshot s)
    {
        sb.Append("Environment:\n");
        foreach (var (key, value) in EnvironmentInfo.List(s.FullVersion))
        {
            sb.Append(key).Append('=').Append(value).Append('\n');
        }
    }
}
