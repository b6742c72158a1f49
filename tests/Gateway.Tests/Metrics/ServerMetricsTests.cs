using ZkGateway.Gateway.Metrics;

namespace ZkGateway.Gateway.Tests.Metrics;

/// <summary>The DefaultMetricsProvider's dump shape: counters, avg/min/max/cnt/sum, percentiles for advanced summaries.</summary>
public sealed class ServerMetricsTests
{
    [Fact]
    public void A_summary_reports_avg_min_max_count_sum_and_nearest_rank_percentiles()
    {
        var s = new SummaryAccumulator("readlatency", advanced: true);
        foreach (long v in new long[] { 5, 1, 3, 2, 4, 10, 6, 7, 8, 9 })
        {
            s.Add(v);
        }
        var values = s.Values().ToDictionary(kv => kv.Key, kv => kv.Value);
        Assert.Equal(5.5, values["avg_readlatency"]);
        Assert.Equal(1L, values["min_readlatency"]);
        Assert.Equal(10L, values["max_readlatency"]);
        Assert.Equal(10L, values["cnt_readlatency"]);
        Assert.Equal(55L, values["sum_readlatency"]);
        Assert.Equal(5L, values["p50_readlatency"]);
        Assert.Equal(10L, values["p95_readlatency"]);
        Assert.Equal(10L, values["p999_readlatency"]);
    }

    [Fact]
    public void An_empty_basic_summary_dumps_zeros_without_percentiles()
    {
        var values = new SummaryAccumulator("fsynctime", advanced: false).Values().ToList();
        Assert.Equal(["avg_fsynctime", "min_fsynctime", "max_fsynctime", "cnt_fsynctime", "sum_fsynctime"], values.Select(kv => kv.Key));
        Assert.Equal(0.0, values[0].Value);
        Assert.All(values.Skip(1), kv => Assert.Equal(0L, kv.Value));
    }

    [Theory]
    [InlineData(4, "readlatency")]
    [InlineData(11, "readlatency")]
    [InlineData(1, "updatelatency")]
    [InlineData(14, "updatelatency")]
    [InlineData(-11, "updatelatency")]
    public void Latency_goes_to_updatelatency_for_transactions_and_readlatency_otherwise(int opType, string summary)
    {
        var m = new ServerMetrics();
        m.RecordLatency(opType, 7);
        Assert.Equal(1L, m.Summaries[summary].Values().Single(kv => kv.Key == "cnt_" + summary).Value);
        string other = summary == "readlatency" ? "updatelatency" : "readlatency";
        Assert.Equal(0L, m.Summaries[other].Values().Single(kv => kv.Key == "cnt_" + other).Value);
    }

    [Fact]
    public void The_dump_has_every_counter_and_summary_and_reset_zeroes_them()
    {
        var m = new ServerMetrics();
        m.AddBytesReceived(40);
        m.CountConnectionRequest();
        m.RecordLatency(4, 3);
        var dump = m.Dump().ToDictionary(kv => kv.Key, kv => kv.Value);
        Assert.All(ZooKeeperMetricNames.Counters, c => Assert.True(dump.ContainsKey(c), c));
        Assert.All(ZooKeeperMetricNames.AdvancedSummaries, s => Assert.True(dump.ContainsKey("p999_" + s), s));
        Assert.All(ZooKeeperMetricNames.BasicSummaries, s => Assert.True(dump.ContainsKey("sum_" + s) && !dump.ContainsKey("p50_" + s), s));
        Assert.Equal(40L, dump["bytes_received_count"]);
        Assert.Equal(1L, dump["connection_request_count"]);
        m.Reset();
        var after = m.Dump().ToDictionary(kv => kv.Key, kv => kv.Value);
        Assert.Equal(0L, after["bytes_received_count"]);
        Assert.Equal(0L, after["cnt_readlatency"]);
    }
}
