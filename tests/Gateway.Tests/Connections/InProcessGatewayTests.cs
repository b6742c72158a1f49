using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using ZkGateway.Gateway.Hosting;
using ZkGateway.Jute.Protocol;
using ZkGateway.Testing;
using static ZkGateway.Gateway.Tests.Support.TestArguments;

namespace ZkGateway.Gateway.Tests.Connections;

/// <summary>The gateway hosted in-process on a free loopback port, driven over real TCP.</summary>
public sealed class InProcessGatewayTests : IAsyncLifetime
{
    private WebApplication _app = null!;
    private GatewayOptions _options = null!;

    public async Task InitializeAsync()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        string dataDir = Path.Combine(Path.GetTempPath(), "zkgw-inproc-" + Guid.NewGuid().ToString("N"));
        _options = ZooCfg.Parse([NoAdmin, $"--clientPort={port}", $"--dataDir={dataDir}", "--maxClientCnxns=2", "--4lw.commands.whitelist=ruok,srvr"]);
        _app = GatewayHost.Build(_options);
        await _app.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    [Fact]
    public async Task A_third_connection_from_one_address_is_closed_when_maxClientCnxns_is_two()
    {
        await using var first = await RawZkClient.ConnectAsync(_options.ClientPort);
        await using var second = await RawZkClient.ConnectAsync(_options.ClientPort);
        var (tcp, response) = await RawZkClient.HandshakeAsync(_options.ClientPort, 10000, 0, null, 0, sendReadOnly: true);
        tcp.Dispose();
        Assert.Null(response);
        Assert.Equal(ErrorCode.Ok, (await first.CreateAsync("/still-served")).Error);
        await second.DisposeAsync();
        // A slot is free again once a connection is gone.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        RawZkClient? third = null;
        while (third is null && DateTime.UtcNow < deadline)
        {
            try
            {
                third = await RawZkClient.ConnectAsync(_options.ClientPort);
            }
            catch (IOException)
            {
                await Task.Delay(50);
            }
        }
        Assert.NotNull(third);
        await third.DisposeAsync();
    }

    [Fact]
    public async Task Four_letter_words_outside_the_whitelist_are_refused_in_zookeepers_words()
    {
        Assert.Equal("imok", await FourLetterWordAsync("ruok"));
        Assert.Equal("mntr is not executed because it is not in the whitelist.\n", await FourLetterWordAsync("mntr"));
    }

    private async Task<string> FourLetterWordAsync(string command)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, _options.ClientPort);
        await client.GetStream().WriteAsync(Encoding.ASCII.GetBytes(command));
        using var reader = new StreamReader(client.GetStream());
        return await reader.ReadToEndAsync();
    }
}
