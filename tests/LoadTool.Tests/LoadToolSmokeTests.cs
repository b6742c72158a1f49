using ZkGateway.Jute.Framing;

namespace ZkGateway.LoadTool.Tests;

/// <summary>
/// The load tool against the gateway hosted in-process for about two seconds: every operation of
/// the mix completes without errors and the run's nodes are gone afterwards. No timing assertions.
/// </summary>
public sealed class LoadToolSmokeTests : IAsyncLifetime
{
    private InProcessGateway _gateway = null!;

    public async Task InitializeAsync() => _gateway = await InProcessGateway.StartAsync();

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    [Fact]
    public async Task A_mixed_workload_completes_operations_of_every_kind_without_errors_and_cleans_up()
    {
        var options = new LoadOptions
        {
            Target = $"127.0.0.1:{_gateway.Port}",
            Mix = LoadOptions.ParseMix("get=4,set=2,create_delete=1,exists=1,children=1,multi=1"),
            Connections = 2,
            Outstanding = 4,
            Warmup = TimeSpan.FromMilliseconds(300),
            Duration = TimeSpan.FromSeconds(2),
        };

        var result = await new LoadRunner(options).RunAsync();

        Assert.Equal(0, result.Total.Errors);
        Assert.Empty(result.ErrorSamples);
        Assert.True(result.Total.Ops > 0);
        foreach (var name in new[] { "get", "set", "create_delete", "exists", "children", "multi" })
        {
            Assert.True(result.PerOp[name].Ops > 0, name);
        }
        await using var connection = await ZkConnection.ConnectAsync("127.0.0.1", _gateway.Port);
        var left = await connection.GetChildrenAsync("/", new FrameBuffer());
        Assert.DoesNotContain(left, c => c.StartsWith("zkbench-", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Compare_mode_runs_both_targets_for_each_round_and_reports_ratios()
    {
        string target = $"127.0.0.1:{_gateway.Port}";
        using var output = new StringWriter();
        using var error = new StringWriter();
        string json = Path.Combine(_gateway.DataDir, "compare.json");

        int exit = await LoadToolCli.MainAsync(
            ["--compare", $"{target},{target}", "--rounds", "2", "--count", "200", "--warmup", "0", "--mix", "get=1,set=1", "--json", json],
            output, error);

        Assert.True(exit == 0, error.ToString());
        string text = output.ToString();
        Assert.Contains("round 2 B", text);
        Assert.Contains("| p50 us |", text);
        Assert.Contains("\"runsB\"", await File.ReadAllTextAsync(json));
    }

    [Fact]
    public async Task Every_watch_set_on_populated_znodes_fires_once_when_they_change()
    {
        var options = new LoadOptions { Target = $"127.0.0.1:{_gateway.Port}", Connections = 2, Outstanding = 8 };
        var populated = await new Populator(options, 300, cleanup: false, parents: 5).RunAsync();
        Assert.Equal(300, populated.Created);

        var result = await new WatchFanout("127.0.0.1", _gateway.Port, populated.Prefix, 5, 300, sessions: 3, outstanding: 8, TimeSpan.Zero, TextWriter.Null).RunAsync();

        Assert.True(result.Errors == 0, string.Join("; ", result.ErrorSamples));
        Assert.Equal(300, result.EventsReceived);
        Assert.NotNull(result.FanoutSeconds);
    }

    [Fact]
    public async Task The_loopback_probe_times_every_round_trip_to_its_peer()
    {
        var result = await LoopbackProbe.RunAsync(valueSize: 100, count: 300);

        Assert.Equal(300, result.Get.Ops);
        Assert.Equal(300, result.Set.Ops);
        Assert.True(result.Get.P50Us > 0 && result.Set.P50Us > 0);
    }

    [Fact]
    public async Task A_read_path_makes_reads_go_to_an_existing_node()
    {
        var options = new LoadOptions
        {
            Target = $"127.0.0.1:{_gateway.Port}",
            Mix = LoadOptions.ParseMix("children=1,get=1"),
            ReadPath = "/no-such-node",
            Count = 20,
            Warmup = TimeSpan.Zero,
        };

        var result = await new LoadRunner(options).RunAsync();

        // Both kinds read the missing node, so every one fails with NoNode: the run's own nodes are not read.
        Assert.Equal(20, result.Total.Errors);
        Assert.Contains(result.ErrorSamples, e => e.Contains("NoNode", StringComparison.Ordinal));
    }
}
