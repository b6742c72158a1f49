using System.Net;
using System.Text.Json;
using ZkGateway.Gateway.Hosting;
using ZkGateway.Testing;

namespace ZkGateway.Gateway.Tests.Admin;

/// <summary>The AdminServer and /metrics listeners of an in-process host, on free ports.</summary>
public sealed class OperatorEndpointsTests
{
    private static string TempDir() => Path.Combine(Path.GetTempPath(), "zkgw-admin-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task Commands_answer_under_the_configured_url_and_metrics_without_runtime_series()
    {
        var options = ZooCfg.Parse([$"--dataDir={TempDir()}", "--clientPort=0", "--admin.serverAddress=127.0.0.1", "--admin.serverPort=0",
            "--admin.commandURL=/ops", "--metricsProvider.className=org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider",
            "--metricsProvider.httpHost=127.0.0.1", "--metricsProvider.httpPort=0", "--metricsProvider.exportJvmInfo=false"]);
        await using var app = GatewayHost.Build(options);
        await app.StartAsync();
        var endpoints = (OperatorEndpoints)app.Services.GetService(typeof(OperatorEndpoints))!;
        int admin = endpoints.AdminEndPoint!.Port;
        int metrics = endpoints.MetricsEndPoint!.Port;
        Assert.NotEqual(0, admin);
        using var http = new HttpClient();

        using (var json = JsonDocument.Parse(await http.GetStringAsync($"http://127.0.0.1:{admin}/ops/srvr")))
        {
            Assert.Equal("server_stats", json.RootElement.GetProperty("command").GetString());
            Assert.Equal("standalone", json.RootElement.GetProperty("server_stats").GetProperty("server_state").GetString());
        }
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync($"http://127.0.0.1:{admin}/commands/srvr")).StatusCode);

        string text = await http.GetStringAsync($"http://127.0.0.1:{metrics}/metrics");
        Assert.Contains("# TYPE znode_count gauge", text, StringComparison.Ordinal);
        Assert.DoesNotContain("dotnet_", text, StringComparison.Ordinal);
        await app.StopAsync();
    }

    [Fact]
    public async Task Stat_reset_zeroes_the_counters_the_four_letter_words_report()
    {
        var options = ZooCfg.Parse([$"--dataDir={TempDir()}", "--clientPort=0", "--admin.serverAddress=127.0.0.1", "--admin.serverPort=0"]);
        await using var app = GatewayHost.Build(options);
        await app.StartAsync();
        var endpoints = (OperatorEndpoints)app.Services.GetService(typeof(OperatorEndpoints))!;
        int admin = endpoints.AdminEndPoint!.Port;
        int client = ClientPort(app);
        await using (var zk = await RawZkClient.ConnectAsync(client))
        {
            await zk.ExistsAsync("/");
        }
        using var http = new HttpClient();
        async Task<long> ReceivedAsync()
        {
            using var json = JsonDocument.Parse(await http.GetStringAsync($"http://127.0.0.1:{admin}/commands/monitor"));
            return json.RootElement.GetProperty("packets_received").GetInt64();
        }
        Assert.True(await ReceivedAsync() > 0);
        await http.GetStringAsync($"http://127.0.0.1:{admin}/commands/srst");
        Assert.Equal(0, await ReceivedAsync());
        await app.StopAsync();
    }

    [Fact]
    public async Task With_the_admin_server_off_no_listener_is_added()
    {
        var options = ZooCfg.Parse([$"--dataDir={TempDir()}", "--clientPort=0", "--admin.enableServer=false"]);
        await using var app = GatewayHost.Build(options);
        await app.StartAsync();
        var endpoints = (OperatorEndpoints)app.Services.GetService(typeof(OperatorEndpoints))!;
        Assert.Null(endpoints.AdminEndPoint);
        Assert.Null(endpoints.MetricsEndPoint);
        await app.StopAsync();
    }

    private static int ClientPort(Microsoft.AspNetCore.Builder.WebApplication app)
    {
        var addresses = ((Microsoft.AspNetCore.Hosting.Server.IServer)app.Services.GetService(typeof(Microsoft.AspNetCore.Hosting.Server.IServer))!)
            .Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses;
        var endpoints = (OperatorEndpoints)app.Services.GetService(typeof(OperatorEndpoints))!;
        return new Uri(addresses.First(a => !endpoints.Owns(a))).Port;
    }
}
