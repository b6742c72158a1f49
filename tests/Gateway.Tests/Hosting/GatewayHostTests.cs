using System.Net;
using System.Net.Sockets;
using ZkGateway.Gateway.Hosting;
using static ZkGateway.Gateway.Tests.Support.TestArguments;

namespace ZkGateway.Gateway.Tests.Hosting;

public sealed class GatewayHostTests
{
    /// <summary>Each host gets its own data directory: the embedded backend opens its database there.</summary>
    private static string TempDir() => Path.Combine(Path.GetTempPath(), "zkgw-host-" + Guid.NewGuid().ToString("N"));

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    [Fact]
    public async Task Bad_configuration_exits_with_the_config_error_code()
    {
        Assert.Equal(GatewayHost.ConfigErrorExitCode, await GatewayHost.RunAsync(["--clientPort=banana"]));
        Assert.Equal(GatewayHost.ConfigErrorExitCode, await GatewayHost.RunAsync(["--nonsense"]));
    }

    [Fact]
    public async Task The_host_listens_on_the_configured_port_and_stops_cleanly()
    {
        var options = ZooCfg.Parse([NoAdmin, $"--dataDir={TempDir()}", $"--clientPort={FreePort()}", "--4lw.commands.whitelist=*"]);
        await using var app = GatewayHost.Build(options);
        Assert.Same(options, app.Services.GetService(typeof(GatewayOptions)));
        await app.StartAsync();
        using (var client = new TcpClient())
        {
            await client.ConnectAsync(IPAddress.Loopback, options.ClientPort);
            Assert.True(client.Connected);
        }
        await app.StopAsync();
    }

    [Fact]
    public async Task A_port_in_use_exits_with_the_startup_error_code()
    {
        using var blocker = new TcpListener(IPAddress.Loopback, 0);
        blocker.Start();
        int port = ((IPEndPoint)blocker.LocalEndpoint).Port;
        var options = ZooCfg.Parse([NoAdmin, $"--dataDir={TempDir()}", $"--clientPort={port}"]);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        Assert.Equal(GatewayHost.StartupErrorExitCode, await GatewayHost.RunAsync(options, cts.Token));
    }

    [Fact]
    public async Task The_server_returns_zero_when_it_is_stopped()
    {
        var options = ZooCfg.Parse([NoAdmin, $"--dataDir={TempDir()}", $"--clientPort={FreePort()}"]);
        using var cts = new CancellationTokenSource();
        var run = GatewayHost.RunAsync(options, cts.Token);
        // Wait until it accepts, then cancel (the in-process equivalent of SIGTERM's StopApplication).
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            try
            {
                using var c = new TcpClient();
                await c.ConnectAsync(IPAddress.Loopback, options.ClientPort);
                break;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(10);
            }
        }
        cts.Cancel();
        Assert.Equal(0, await run.WaitAsync(TimeSpan.FromSeconds(10)));
    }
}
