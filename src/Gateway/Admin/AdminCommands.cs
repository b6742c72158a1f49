using System.Globalization;
using ZkGateway.Gateway.Metrics;

namespace ZkGateway.Gateway.Admin;

/// <summary>
/// The commands of 3.8.0's Commands.java, with its names, aliases and fields, answered for a standalone
/// server from the same snapshot the four-letter words use. Quorum-only commands answer as a
/// standalone 3.8.0 does (leader: its error; observers, voting_view: empty).
/// </summary>
public static class AdminCommands
{
    /// <summary>ZooKeeper's ZK_NOT_SERVING, for a server-required command while the server is not running.</summary>
    public const string NotServing = FourLetterWords.NotServing;

    public static readonly IReadOnlyList<AdminCommand> All =
    [
        new("connection_stat_reset", ["crst"], true, r =>
        {
            foreach (var c in r.Registry.Connections)
            {
                c.ResetStatistics();
            }
            return [];
        }),
        new("configuration", ["conf", "config"], true, r => Configuration(r)),
        new("connections", ["cons"], true, r =>
        [
            new("connections", r.Snapshot.Connections.Select(c => ConnectionInfo(c, brief: false)).ToList()),
            new("secure_connections", Array.Empty<object>()),
        ]),
        new("hash", [], true, _ =>
        [
            // Digest tracking (zookeeper.digest.enabled) is not kept: 3.8.0 then lists no digests either.
            new("digests", Array.Empty<object>()),
        ]),
        new("dirs", [], true, r =>
        [
            new("datadir_size", r.Snapshot.DataDirSize),
            new("logdir_size", r.Snapshot.LogDirSize),
        ]),
        new("dump", [], true, r =>
        [
            new("expiry_time_to_session_ids", r.Snapshot.Sessions.GroupBy(x => x.ExpiresAt.ToUnixTimeMilliseconds()).OrderBy(g => g.Key)
                .Select(g => new KeyValuePair<string, object?>(Text(g.Key), g.Select(x => (object)x.SessionId).ToList())).ToList()),
            new("session_id_to_ephemeral_paths", r.Snapshot.EphemeralsBySession
                .Select(kv => new KeyValuePair<string, object?>(Text(kv.Key), kv.Value.ToList())).ToList()),
        ]),
        new("environment", ["env", "envi"], false, r =>
            EnvironmentInfo.List(r.Snapshot.FullVersion).Select(kv => new KeyValuePair<string, object?>(kv.Key, kv.Value))),
        new("get_trace_mask", ["gtmk"], false, r => [new("tracemask", r.Snapshot.TraceMask)]),
        new("initial_configuration", ["icfg"], true, r => [new("initial_configuration", InitialConfiguration(r))]),
        new("is_read_only", ["isro"], true, _ => [new("read_only", false)]),
        new("last_snapshot", ["lsnp"], true, r =>
        [
            // The embedded store's newest snapshot (docs/storage.md); the AWS deployment takes none: 3.8.0's answer for none.
            new("zxid", FourLetterWords.Hex(r.Snapshot.LastSnapshot?.Zxid ?? -1)),
            new("timestamp", r.Snapshot.LastSnapshot?.TimestampMs ?? -1L),
        ]),
        new("leader", ["lead"], true, _ => [new("error", "server is not initialized")]),
        new("monitor", ["mntr"], false, r => MonitorValues.All(r.Snapshot).Select(kv => new KeyValuePair<string, object?>(kv.Key, kv.Value))),
        new("observer_connection_stat_reset", ["orst"], true, _ => []),
        new("ruok", [], true, _ => []),
        new("set_trace_mask", ["stmk"], false, r => SetTraceMask(r)),
        new("server_stats", ["srvr"], true, r => ServerStats(r)),
        new("stats", ["stat"], true, r =>
        [
            .. ServerStats(r),
            new("connections", r.Snapshot.Connections.Select(c => ConnectionInfo(c, brief: true)).ToList()),
            new("secure_connections", Array.Empty<object>()),
        ]),
        new("stat_reset", ["srst"], true, r =>
        {
            r.Statistics.Reset();
            return [];
        }),
        new("observers", ["obsr"], true, _ =>
        [
            new("synced_observers", 0L),
            new("observers", Array.Empty<object>()),
        ]),
        new("system_properties", ["sysp"], false, r => SystemProperties(r)),
        new("voting_view", [], true, _ => [new("current_config", Array.Empty<KeyValuePair<string, object?>>())]),
        new("watches", ["wchc"], true, r =>
        [
            new("session_id_to_watched_paths", r.Snapshot.WatchesBySession
                .Select(kv => new KeyValuePair<string, object?>(Text(kv.Key), kv.Value.ToList())).ToList()),
        ]),
        new("watches_by_path", ["wchp"], true, r =>
        [
            new("path_to_session_ids", r.Snapshot.WatchesByPath
                .Select(kv => new KeyValuePair<string, object?>(kv.Key, kv.Value.Select(x => (object)x).ToList())).ToList()),
        ]),
        new("watch_summary", ["wchs"], true, r =>
        [
            new("num_connections", (long)r.Snapshot.WatchingConnections),
            new("num_paths", (long)r.Snapshot.WatchedPaths),
            new("num_total_watches", r.Snapshot.WatchCount),
        ]),
        new("zabstate", [], false, _ =>
        [
            new("voting", false),
            new("zabstate", ""),
        ]),
    ];

    private static readonly Dictionary<string, AdminCommand> ByName =
        All.SelectMany(c => c.Aliases.Prepend(c.PrimaryName).Select(n => (n, c))).ToDictionary(x => x.n, x => x.c, StringComparer.Ordinal);

    /// <summary>The command a name or alias stands for (names are case-sensitive, as in 3.8.0).</summary>
    public static AdminCommand? Find(string name) => ByName.GetValueOrDefault(name);

    /// <summary>Commands.runCommand: the JSON body for <paramref name="name"/>, unknown names and a stopped server included.</summary>
    public static byte[] Run(string name, AdminRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var command = Find(name);
        if (command is null)
        {
            return AdminJson.Response(name, "Unknown command: " + name, []);
        }
        if (command.ServerRequired && !request.Snapshot.IsRunning)
        {
            return AdminJson.Response(name, NotServing, []);
        }
        return AdminJson.Response(command.PrimaryName, null, command.Run(request));
    }

    private static string Text(long v) => v.ToString(CultureInfo.InvariantCulture);

    // ServerCnxn.getConnectionInfo: the address without Java's leading '/', then, unless brief, the session's figures.
    private static List<KeyValuePair<string, object?>> ConnectionInfo(ConnectionSnapshot c, bool brief)
    {
        var info = new List<KeyValuePair<string, object?>>
        {
            new("remote_socket_address", FourLetterWords.FormatEndPoint(c.RemoteEndPoint).TrimStart('/')),
            new("interest_ops", (long)c.InterestOps),
            new("outstanding_requests", c.Queued),
            new("packets_received", c.PacketsReceived),
            new("packets_sent", c.PacketsSent),
        };
        if (!brief)
        {
            info.Add(new("session_id", c.SessionId));
            info.Add(new("last_operation", c.LastOperation));
            info.Add(new("established", c.Established.ToUnixTimeMilliseconds()));
            info.Add(new("session_timeout", (long)c.SessionTimeout));
            info.Add(new("last_cxid", c.LastCxid));
            info.Add(new("last_zxid", c.LastZxid));
            info.Add(new("last_response_time", c.LastResponseTime));
            info.Add(new("last_latency", c.LastLatency));
            info.Add(new("min_latency", c.MinLatency));
            info.Add(new("avg_latency", c.AvgLatency));
            info.Add(new("max_latency", c.MaxLatency));
        }
        return info;
    }

    // SrvrCommand: Jackson's view of ServerStats (getters in snake case) and of its BufferStats.
    private static List<KeyValuePair<string, object?>> ServerStats(AdminRequest r)
    {
        var s = r.Snapshot;
        return
        [
            new("version", s.FullVersion),
            new("read_only", false),
            new("server_stats", new List<KeyValuePair<string, object?>>
            {
                new("packets_sent", s.PacketsSent),
                new("packets_received", s.PacketsReceived),
                new("fsync_threshold_exceed_count", 0L),
                new("client_response_stats", ClientResponseStats()),
                new("data_dir_size", s.DataDirSize),
                new("log_dir_size", s.LogDirSize),
                new("provider_null", false),
                new("server_state", s.ServerState),
                new("last_processed_zxid", s.Zxid),
                new("outstanding_requests", s.Outstanding),
                new("avg_latency", Math.Round(s.AvgLatency, 4, MidpointRounding.AwayFromZero)),
                new("max_latency", s.MaxLatency),
                new("min_latency", s.MinLatency),
                new("num_alive_client_connections", (long)s.Connections.Count),
                new("uptime", (long)s.Uptime.TotalMilliseconds),
                new("auth_failed_count", 0L),
                new("non_mtlsremote_conn_count", 0L),
                new("non_mtlslocal_conn_count", 0L),
            }),
            new("client_response", ClientResponseStats()),
            new("node_count", s.NodeCount),
        ];
    }

    // Reply sizes are not measured: -1 is BufferStats before any reply.
    private static List<KeyValuePair<string, object?>> ClientResponseStats() =>
    [
        new("last_buffer_size", -1L),
        new("min_buffer_size", -1L),
        new("max_buffer_size", -1L),
    ];

    // ZooKeeperServerConf.toMap (the standalone keys).
    private static List<KeyValuePair<string, object?>> Configuration(AdminRequest r)
    {
        var o = r.Options;
        return
        [
            new("client_port", (long)o.ClientPort),
            new("data_dir", Path.GetFullPath(o.DataDir)),
            new("data_log_dir", Path.GetFullPath(o.EffectiveDataLogDir)),
            new("tick_time", (long)o.TickTime),
            new("max_client_cnxns", (long)o.MaxClientCnxns),
            new("min_session_timeout", (long)o.EffectiveMinSessionTimeout),
            new("max_session_timeout", (long)o.EffectiveMaxSessionTimeout),
            new("server_id", o.ServerId),
            new("client_port_listen_backlog", (long)o.ClientPortListenBacklog),
        ];
    }

    // 3.8.0 returns its config file's text; the gateway's keys come from a file and the command line, so
    // the effective ones are given as key=value lines (secrets left out, as conf does).
    private static string InitialConfiguration(AdminRequest r) =>
        string.Concat(r.Options.Raw.Where(kv => !IsSecret(kv.Key)).Select(kv => kv.Key + "=" + kv.Value + "\n"));

    // 3.8.0 lists the JVM's system properties; the gateway has none: its zookeeper.* keys and the runtime's facts, sorted.
    private static IEnumerable<KeyValuePair<string, object?>> SystemProperties(AdminRequest r) =>
        r.Options.Raw.Where(kv => kv.Key.StartsWith("zookeeper.", StringComparison.Ordinal) && !IsSecret(kv.Key))
            .Concat(EnvironmentInfo.List(r.Snapshot.FullVersion).Where(kv => kv.Key.StartsWith("java.", StringComparison.Ordinal) || kv.Key.StartsWith("os.", StringComparison.Ordinal) || kv.Key.StartsWith("user.", StringComparison.Ordinal)))
            .DistinctBy(kv => kv.Key)
            .OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => new KeyValuePair<string, object?>(kv.Key, kv.Value));

    private static bool IsSecret(string key) =>
        key.Contains("digest", StringComparison.OrdinalIgnoreCase) || key.Contains("password", StringComparison.OrdinalIgnoreCase)
        || key.Contains("secret", StringComparison.OrdinalIgnoreCase);

    // SetTraceMaskCommand: the mask is only echoed (the gateway has no trace levels to set).
    private static IEnumerable<KeyValuePair<string, object?>> SetTraceMask(AdminRequest r)
    {
        if (!r.Arguments.TryGetValue("traceMask", out var text))
        {
            return [new("error", "setTraceMask requires long traceMask argument")];
        }
        return long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long mask)
            ? [new("tracemask", mask)]
            : [new("error", "setTraceMask requires long traceMask argument, got " + text)];
    }
}
