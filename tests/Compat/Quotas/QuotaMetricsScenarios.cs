using System.Globalization;
using System.Text.RegularExpressions;
using ZkGateway.Compat.Infrastructure;

namespace ZkGateway.Compat.Quotas;

/// <summary>
/// The quota metrics of 3.8.0 (QuotaMetricsUtils' four gauge sets and ServerMetrics'
/// quota_exceeded_error_per_namespace), after quotas are set, used and passed with enforceQuota on.
/// Debian's 3.8.0 has no Prometheus provider jar, so real ZooKeeper is read through mntr (its
/// DefaultMetricsProvider dumps each namespace as <c>zk_&lt;ns&gt;_&lt;name&gt;</c>); the gateway's mntr
/// must give the same lines, and its Prometheus endpoint the same values under the label <c>key</c>.
/// </summary>
public sealed partial class QuotaMetricsScenarios
{
    private static readonly string[] Commands =
    [
        "create {P} root",
        "create {P}/a 12345",
        "create {P}/b",
        "setquota -N 2 {P}/a",
        "setquota -B 8 {P}/a",
        "setquota -n 4 {P}/b",
        "create {P}/a/x",
        // Past the hard count of {P}/a, then past its hard bytes: two QuotaExceeded.
        "create {P}/a/y",
        "set {P}/a 123456789",
        "create {P}/b/z abc",
    ];

    private static readonly KeyValuePair<string, string>[] Enforce = [new("zookeeper.enforceQuota", "true")];

    [GeneratedRegex(@"^zk_(\S+)_(quota_\w+_per_namespace)\t(\S+)$", RegexOptions.Multiline)]
    private static partial Regex MntrQuotaLine();

    [Fact]
    public async Task Mntr_and_prometheus_give_the_quota_metrics_real_zookeeper_gives()
    {
        int metricsPort = Net.FreePort();
        await using var zk = new RealZooKeeper(Enforce);
        await using var gw = new GatewayServer(
        [
            .. Enforce,
            new("metricsProvider.className", "org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider"),
            new("metricsProvider.httpHost", "127.0.0.1"),
            new("metricsProvider.httpPort", metricsPort.ToString(CultureInfo.InvariantCulture)),
        ]);
        var (_, expected, expectedAfterReset) = await QuotaLinesAfterScenarioAsync(zk);
        var (ns, actual, actualAfterReset) = await QuotaLinesAfterScenarioAsync(gw);
        Assert.Equal(5, expected.Count);
        Assert.Equal(expected, actual);
        // srst resets the exceeded counter set (its namespace stays, at 0) but not the gauges.
        Assert.Contains("quota_exceeded_error_per_namespace 0", expectedAfterReset);
        Assert.Equal(expectedAfterReset, actualAfterReset);

        // After the srst: Prometheus counters stay monotonic (3.8.0's provider ignores resetAll).
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        string scrape = await http.GetStringAsync($"http://127.0.0.1:{metricsPort}/metrics");
        foreach (string line in actual)
        {
            // "<name> <value>" in mntr's order: the same value under key="{NS}" (the namespace of {P}).
            string[] parts = line.Split(' ');
            Assert.Matches($@"(?m)^{parts[0]}\{{key=""{Regex.Escape(ns)}""\}} {parts[1]}$", scrape);
        }
    }

    /// <summary>
    /// The scenario on a fresh server, then mntr's quota lines for its namespace, as "name value", sorted;
    /// then the same lines after an srst.
    /// </summary>
    private static async Task<(string Namespace, List<string> Lines, List<string> AfterReset)> QuotaLinesAfterScenarioAsync(ProcessZkTarget server)
    {
        await server.StartAsync();
        string prefix = ZkCli.NewPrefix();
        var run = await ZkCli.RunAsync(server, Commands, prefix);
        Assert.Equal(2, run.Transcript.Count(l => l.StartsWith("Quota has exceeded", StringComparison.Ordinal)));
        string ns = prefix[1..];
        var lines = await MntrQuotaLinesAsync(server, ns);
        Assert.Equal("Server stats reset.\n", await Net.FourLetterAsync(server.Port, "srst", TimeSpan.FromSeconds(10)));
        return (ns, lines, await MntrQuotaLinesAsync(server, ns));
    }

    private static async Task<List<string>> MntrQuotaLinesAsync(ProcessZkTarget server, string ns)
    {
        string mntr = await Net.FourLetterAsync(server.Port, "mntr", TimeSpan.FromSeconds(10)) ?? "";
        return [.. MntrQuotaLine().Matches(mntr).Where(m => m.Groups[1].Value == ns)
            .Select(m => m.Groups[2].Value + " " + m.Groups[3].Value).Order(StringComparer.Ordinal)];
    }
}
