using System.Net;
using System.Text.RegularExpressions;
using ZkGateway.Compat.Infrastructure;
using ZkGateway.Testing;

namespace ZkGateway.Compat.Admin;

/// <summary>
/// The gateway's Prometheus endpoint (metricsProvider.className=...PrometheusMetricsProvider). Debian's
/// ZooKeeper 3.8.0 ships no zookeeper-prometheus-metrics jar (not in /usr/share/java nor in the
/// server's class path), so real ZooKeeper cannot be scraped here: the names and types below are
/// pinned from the 3.8.0 source (release-3.8.0-1: ZooKeeperServer.registerMetrics' gauges, the
/// quota gauge sets of QuotaMetricsUtils, ServerMetrics' counters and summaries; the provider exports
/// a Counter as a counter, a Summary or SummarySet as a summary, a gauge as a gauge).
/// </summary>
[Collection(AdminCollection.Name)]
public sealed partial class PrometheusScenarios(AdminFixture targets) : IDisposable
{
    /// <summary>Every metric a standalone 3.8.0 registers, with its Prometheus type (from the source, see above).</summary>
    public static readonly IReadOnlyList<(string Name, string Type)> ZooKeeper380Metrics =
    [
        ("avg_latency", "gauge"),
        ("max_latency", "gauge"),
        ("min_latency", "gauge"),
        ("packets_received", "gauge"),
        ("packets_sent", "gauge"),
        ("num_alive_connections", "gauge"),
        ("outstanding_requests", "gauge"),
        ("uptime", "gauge"),
        ("znode_count", "gauge"),
        ("watch_count", "gauge"),
        ("ephemerals_count", "gauge"),
        ("approximate_data_size", "gauge"),
        ("global_sessions", "gauge"),
        ("local_sessions", "gauge"),
        ("open_file_descriptor_count", "gauge"),
        ("max_file_descriptor_count", "gauge"),
        ("connection_drop_probability", "gauge"),
        ("last_client_response_size", "gauge"),
        ("max_client_response_size", "gauge"),
        ("min_client_response_size", "gauge"),
        ("outstanding_tls_handshake", "gauge"),
        ("auth_failed_count", "gauge"),
        ("non_mtls_remote_conn_count", "gauge"),
        ("non_mtls_local_conn_count", "gauge"),
        ("quota_count_limit_per_namespace", "gauge"),
        ("quota_bytes_limit_per_namespace", "gauge"),
        ("quota_count_usage_per_namespace", "gauge"),
        ("quota_bytes_usage_per_namespace", "gauge"),
        ("fsynctime", "summary"),
        ("snapshottime", "summary"),
        ("dbinittime", "summary"),
        ("readlatency", "summary"),
        ("updatelatency", "summary"),
        ("propagation_latency", "summary"),
        ("follower_sync_time", "summary"),
        ("observer_sync_time", "summary"),
        ("election_time", "summary"),
        ("looking_count", "counter"),
        ("diff_count", "counter"),
        ("snap_count", "counter"),
        ("commit_count", "counter"),
        ("connection_request_count", "counter"),
        ("connection_token_deficit", "summary"),
        ("connection_rejected", "counter"),
        ("inflight_snap_count", "summary"),
        ("inflight_diff_count", "summary"),
        ("write_per_namespace", "summary"),
        ("read_per_namespace", "summary"),
        ("bytes_received_count", "counter"),
        ("unrecoverable_error_count", "counter"),
        ("node_created_watch_count", "summary"),
        ("node_deleted_watch_count", "summary"),
        ("node_changed_watch_count", "summary"),
        ("node_children_watch_count", "summary"),
        ("add_dead_watcher_stall_time", "counter"),
        ("dead_watchers_queued", "counter"),
        ("dead_watchers_cleared", "counter"),
        ("dead_watchers_cleaner_latency", "summary"),
        ("response_packet_cache_hits", "counter"),
        ("response_packet_cache_misses", "counter"),
        ("response_packet_get_children_cache_hits", "counter"),
        ("response_packet_get_children_cache_misses", "counter"),
        ("ensemble_auth_success", "counter"),
        ("ensemble_auth_fail", "counter"),
        ("ensemble_auth_skip", "counter"),
        ("prep_processor_queue_time_ms", "summary"),
        ("prep_processor_queue_size", "summary"),
        ("prep_processor_request_queued", "counter"),
        ("outstanding_changes_queued", "counter"),
        ("outstanding_changes_removed", "counter"),
        ("prep_process_time", "summary"),
        ("proposal_process_time", "summary"),
        ("close_session_prep_time", "summary"),
        ("revalidate_count", "counter"),
        ("connection_drop_count", "counter"),
        ("connection_revalidate_count", "counter"),
        ("sessionless_connections_expired", "counter"),
        ("stale_sessions_expired", "counter"),
        ("unavailable_time", "summary"),
        ("leader_unavailable_time", "summary"),
        ("requests_in_session_queue", "summary"),
        ("pending_session_queue_size", "summary"),
        ("reads_after_write_in_session_queue", "summary"),
        ("reads_issued_from_session_queue", "summary"),
        ("session_queues_drained", "summary"),
        ("time_waiting_empty_pool_in_commit_processor_read_ms", "summary"),
        ("write_batch_time_in_commit_processor", "summary"),
        ("concurrent_request_processing_in_commit_processor", "summary"),
        ("read_commit_proc_req_queued", "summary"),
        ("write_commit_proc_req_queued", "summary"),
        ("commit_commit_proc_req_queued", "summary"),
        ("request_commit_queued", "counter"),
        ("read_commit_proc_issued", "summary"),
        ("write_commit_proc_issued", "summary"),
        ("throttled_ops", "counter"),
        ("read_commitproc_time_ms", "summary"),
        ("write_commitproc_time_ms", "summary"),
        ("local_write_committed_time_ms", "summary"),
        ("server_write_committed_time_ms", "summary"),
        ("commit_process_time", "summary"),
        ("om_proposal_process_time_ms", "summary"),
        ("om_commit_process_time_ms", "summary"),
        ("read_final_proc_time_ms", "summary"),
        ("write_final_proc_time_ms", "summary"),
        ("proposal_latency", "summary"),
        ("proposal_ack_creation_latency", "summary"),
        ("commit_propagation_latency", "summary"),
        ("learner_proposal_received_count", "counter"),
        ("learner_commit_received_count", "counter"),
        ("learner_handler_qp_size", "summary"),
        ("learner_handler_qp_time_ms", "summary"),
        ("startup_txns_loaded", "summary"),
        ("startup_txns_load_time", "summary"),
        ("startup_snap_load_time", "summary"),
        ("sync_processor_queue_and_flush_time_ms", "summary"),
        ("sync_processor_queue_size", "summary"),
        ("sync_processor_request_queued", "counter"),
        ("sync_processor_queue_time_ms", "summary"),
        ("sync_processor_queue_flush_time_ms", "summary"),
        ("sync_process_time", "summary"),
        ("sync_processor_batch_size", "summary"),
        ("quorum_ack_latency", "summary"),
        ("ack_latency", "summary"),
        ("proposal_count", "counter"),
        ("quit_leading_due_to_disloyal_voter", "counter"),
        ("stale_requests", "counter"),
        ("stale_requests_dropped", "counter"),
        ("stale_replies", "counter"),
        ("request_throttle_queue_time_ms", "summary"),
        ("request_throttle_wait_count", "counter"),
        ("large_requests_rejected", "counter"),
        ("netty_queued_buffer_capacity", "summary"),
        ("digest_mismatches_count", "counter"),
        ("learner_request_processor_queue_size", "summary"),
        ("unsuccessful_handshake", "counter"),
        ("insecure_admin_count", "counter"),
        ("tls_handshake_exceeded", "counter"),
        ("cnxn_closed_without_zk_server_running", "counter"),
        ("skip_learner_request_to_next_processor_count", "counter"),
        ("socket_closing_time", "summary"),
        ("requests_not_forwarded_to_commit_processor", "counter"),
        ("response_bytes", "counter"),
        ("watch_bytes", "counter"),
        ("jvm_pause_time_ms", "summary"),
        ("quota_exceeded_error_per_namespace", "counter"),
    ];

    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };

    [GeneratedRegex(@"^# TYPE (\S+) (\S+)$", RegexOptions.Multiline)]
    private static partial Regex TypeLine();

    [Fact]
    public async Task Metrics_exports_every_name_a_standalone_380_registers_with_its_type()
    {
        await targets.GetAsync(TargetKind.Gateway);
        var types = TypeLine().Matches(await ScrapeAsync()).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value, StringComparer.Ordinal);
        var missing = ZooKeeper380Metrics.Where(m => !types.TryGetValue(m.Name, out var t) || t != m.Type)
            .Select(m => $"{m.Name} ({m.Type}): " + (types.TryGetValue(m.Name, out var t) ? "exported as " + t : "absent")).ToList();
        Assert.True(missing.Count == 0, string.Join('\n', missing));
    }

    [Fact]
    public async Task Summaries_carry_the_providers_quantiles_and_gauges_agree_with_mntr()
    {
        var (gw, _) = await targets.GetAsync(TargetKind.Gateway);
        await using (var client = await RawZkClient.ConnectAsync(gw.Port))
        {
            // A read and a write: readlatency and updatelatency get a sample each.
            await client.ExistsAsync("/");
            await client.CreateAsync("/prom-" + Guid.NewGuid().ToString("N")[..8]);
        }
        string text = await ScrapeAsync();
        // ADVANCED summaries: 0.5, 0.9 and 0.99; BASIC ones the median only (PrometheusSummary).
        foreach (var q in new[] { "0.5", "0.9", "0.99" })
        {
            Assert.Contains($"readlatency{{quantile=\"{q}\"}}", text, StringComparison.Ordinal);
            Assert.Contains($"updatelatency{{quantile=\"{q}\"}}", text, StringComparison.Ordinal);
        }
        Assert.Contains("fsynctime{quantile=\"0.5\"}", text, StringComparison.Ordinal);
        Assert.DoesNotContain("fsynctime{quantile=\"0.9\"}", text, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^readlatency_count [1-9]", text);
        Assert.Matches(@"(?m)^updatelatency_count [1-9]", text);

        // The same tree count as mntr's, read after the scrape with nothing written in between.
        string mntr = await Net.FourLetterAsync(gw.Port, "mntr", TimeSpan.FromSeconds(5)) ?? "";
        string nodes = Regex.Match(mntr, @"(?m)^zk_znode_count\t(\d+)$").Groups[1].Value;
        Assert.NotEmpty(nodes);
        Assert.Matches($@"(?m)^znode_count {nodes}$", text);
    }

    [Fact]
    public async Task The_runtimes_series_stand_for_the_jvms_and_the_gateways_own_have_its_prefix()
    {
        await targets.GetAsync(TargetKind.Gateway);
        var names = TypeLine().Matches(await ScrapeAsync()).Select(m => m.Groups[1].Value).ToList();
        // exportJvmInfo's default (true): the .NET runtime's collectors (prometheus-net's DotNetStats).
        Assert.Contains(names, n => n.StartsWith("dotnet_", StringComparison.Ordinal));
        Assert.Contains("process_cpu_seconds_total", names);
        Assert.Contains("zkgateway_request_latency_ms", names);
        Assert.Contains("zkgateway_cloud_calls", names);
        Assert.Contains("zkgateway_backend_call_latency_ms", names);
        // None of the JVM's own (DefaultExports: jvm_memory_*, jvm_gc_*, ...); jvm_pause_time_ms is ZooKeeper's.
        var pinned = ZooKeeper380Metrics.Select(m => m.Name).ToHashSet(StringComparer.Ordinal);
        Assert.DoesNotContain(names, n => n.StartsWith("jvm_", StringComparison.Ordinal) && !pinned.Contains(n));
    }

    [Fact]
    public async Task On_the_aws_backend_the_cloud_calls_and_their_latencies_have_samples()
    {
        var (gw, _) = await targets.GetAsync(TargetKind.AwsGateway);
        await using (var client = await RawZkClient.ConnectAsync(gw.Port))
        {
            string path = "/prom-" + Guid.NewGuid().ToString("N")[..8];
            await client.CreateAsync(path);
            await client.GetDataAsync(path);
        }
        using var response = await _http.GetAsync($"http://127.0.0.1:{targets.AwsMetricsPort}/metrics");
        string text = await response.Content.ReadAsStringAsync();
        Assert.Matches(@"(?m)^zkgateway_backend_call_latency_ms_count\{service=""dynamodb"",api=""[A-Za-z]+""\} [1-9]", text);
        Assert.Matches(@"(?m)^zkgateway_cloud_calls\{operation=""[a-zA-Z]+"",service=""dynamodb"",api=""[A-Za-z]+""\} [1-9]", text);
        Assert.Matches(@"(?m)^zkgateway_cloud_estimated_usd\{operation=""[a-zA-Z]+""\} ", text);
    }

    [Fact]
    public async Task Only_the_metrics_path_is_served_on_the_metrics_port()
    {
        await targets.GetAsync(TargetKind.Gateway);
        using var response = await _http.GetAsync($"http://127.0.0.1:{targets.MetricsPort}/commands/ruok");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    private async Task<string> ScrapeAsync()
    {
        using var response = await _http.GetAsync($"http://127.0.0.1:{targets.MetricsPort}/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.ToString(), StringComparison.Ordinal);
        return await response.Content.ReadAsStringAsync();
    }

    public void Dispose() => _http.Dispose();
}
