using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using ZkGateway.Gateway.Hosting;
using ZkGateway.Jute.Framing;

namespace ZkGateway.LoadTool.Tests;

/// <summary>
/// The load tool against the gateway hosted in-process for about two seconds: every operation of
/// the mix completes without errors and the run's nodes are gone afterwards. No timing assertions.
/// </summary>
public sealed class LoadToolSmokeTests : IAsyncLifetime
{
    // The AdminServer is on by default on port 8080: off for this in-process gateway.
    private const string NoAdmin = "--admin.enableServer=false";

    private WebApplication _app = null!;
    private int _port;
    private string _dataDir = "";

    public async Task InitializeAsync()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        _port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        _dataDir = Path.Combine(Path.GetTempPath(), "zkgw-loadtool-" + Guid.NewGuid().ToString("N"));
        _app = GatewayHost.Build(ZooCfg.Parse([NoAdmin, $"--clientPort={_port}", $"--dataDir={_dataDir}"]));
        await _app.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        try
        {
            Directory.Delete(_dataDir, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }

    [Fact]
    public async Task A_mixed_workload_completes_operations_of_every_kind_without_errors_and_cleans_up()
    {
        var options = new LoadOptions
        {
            Target = $"127.0.0.1:{_port}",
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
        await using var connection = await ZkConnection.ConnectAsync("127.0.0.1", _port);
        var left = await connection.GetChildrenAsync("/", new FrameBuffer());
        Assert.DoesNotContain(left, c => c.StartsWith("zkbench-", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Compare_mode_runs_both_targets_for_each_round_and_reports_ratios()
    {
        string target = $"127.0.0.1:{_port}";
        using var output = new StringWriter();
        using var error = new StringWriter();
        string json = Path.Combine(_dataDir, "compare.json");

        int exit = await LoadToolCli.MainAsync(
            ["--compare", $"{target},{target}", "--rounds", "2", "--count", "200", "--warmup", "0", "--mix", "get=1,set=1", "--json", json],
            output, error);

        Assert.True(exit == 0, error.ToString());
        string text = output.ToString();
        Assert.Contains("round 2 B", text);
        Assert.Contains("| p50 us |", text);
        Assert.Contains("\"runsB\"", await File.ReadAllTextAsync(json));
    }
}
