using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using ZkGateway.Gateway.Hosting;

namespace ZkGateway.LoadTool.Tests;

/// <summary>
/// The embedded gateway hosted in this process on a free port and a fresh data directory, for the
/// load tool's tests; disposing stops it and deletes the directory.
/// </summary>
internal sealed class InProcessGateway : IAsyncDisposable
{
    private readonly WebApplication _app;

    private InProcessGateway(WebApplication app, int port, string dataDir)
    {
        _app = app;
        Port = port;
        DataDir = dataDir;
    }

    public int Port { get; }

    public string DataDir { get; }

    /// <param name="settings">More zoo.cfg settings (<c>--key=value</c>); the AdminServer, on 8080 by default, is off.</param>
    public static async Task<InProcessGateway> StartAsync(params string[] settings)
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        string dataDir = Path.Combine(Path.GetTempPath(), "zkgw-loadtool-" + Guid.NewGuid().ToString("N"));
        var app = GatewayHost.Build(ZooCfg.Parse(["--admin.enableServer=false", .. settings, $"--clientPort={port}", $"--dataDir={dataDir}"]));
        await app.StartAsync();
        return new InProcessGateway(app, port, dataDir);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        try
        {
            Directory.Delete(DataDir, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }
}
