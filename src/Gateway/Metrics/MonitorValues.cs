using System.Globalization;

namespace ZkGateway.Gateway.Metrics;

/// <summary>
/// What 3.8.0's monitor command (and mntr) reports, typed: dumpMonitorValues (version, server_state),
/// then its metrics provider's dump — the gauges of registerMetrics, the counters and summaries — and
/// last the backend's own keys. One list for mntr, the AdminServer and the Prometheus gauges.
/// </summary>
public static class MonitorValues
{
    /// <summary>Every value, in ZooKeeper's order (gauges as registerMetrics registers them).</summary>
    public static IEnumerable<KeyValuePair<string, object>> All(ServerSnapshot s)
    {
        ArgumentNullException.ThrowIfNull(s);
        yield return new("version", s.FullVersion);
        yield return new("server_state", s.ServerState);
        foreach (var gauge in Gauges(s))
        {
            yield return gauge;
        }
        // DefaultMetricsProvider dumps a gauge set after the gauges, each key as key_name.
        foreach (var (name, values) in s.QuotaGaugeSets)
        {
            foreach (var (key, value) in values)
            {
                yield return new(key + "_" + name, value);
            }
        }
        foreach (var value in s.MetricValues)
        {
            yield return value;
        }
        foreach (var (key, value) in s.ExtraMonitorValues)
        {
            yield return new(key, Typed(value));
        }
    }

    /// <summary>The callback gauges of ZooKeeperServer.registerMetrics, from the snapshot.</summary>
    public static IEnumerable<KeyValuePair<string, object>> Gauges(ServerSnapshot s)
    {
        ArgumentNullException.ThrowIfNull(s);
        yield return new("avg_latency", Math.Round(s.AvgLatency, 4, MidpointRounding.AwayFromZero));
        yield return new("max_latency", s.MaxLatency);
        yield return new("min_latency", s.MinLatency);
        yield return new("packets_received", s.PacketsReceived);
        yield return new("packets_sent", s.PacketsSent);
        yield return new("num_alive_connections", (long)s.Connections.Count);
        yield return new("outstanding_requests", s.Outstanding);
        yield return new("uptime", (long)s.Uptime.TotalMilliseconds);
        yield return new("znode_count", s.NodeCount);
        yield return new("watch_count", s.WatchCount);
        yield return new("ephemerals_count", s.EphemeralsCount);
        yield return new("approximate_data_size", s.ApproximateDataSize);
        yield return new("global_sessions", s.SessionCount);
        yield return new("local_sessions", 0L);
        yield return new("open_file_descriptor_count", s.OpenFileDescriptorCount ?? ProcessLimits.OpenFileDescriptors());
        yield return new("max_file_descriptor_count", s.MaxFileDescriptorCount ?? ProcessLimits.MaxFileDescriptors());
        yield return new("connection_drop_probability", 0.0);
        // Reply sizes are not measured: -1 is what 3.8.0 reports before its first reply (BufferStats).
        yield return new("last_client_response_size", -1L);
        yield return new("max_client_response_size", -1L);
        yield return new("min_client_response_size", -1L);
        yield return new("outstanding_tls_handshake", 0L);
        yield return new("auth_failed_count", 0L);
        yield return new("non_mtls_remote_conn_count", 0L);
        yield return new("non_mtls_local_conn_count", 0L);
    }

    /// <summary>A backend key's text as a number when it is one (the cost meter's counts), else the text.</summary>
    private static object Typed(string value) =>
        long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long l) ? l
        : double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) ? d
        : value;
}
