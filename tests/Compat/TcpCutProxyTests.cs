using System.Net;
using System.Net.Sockets;
using System.Text;
using ZkGateway.Compat.Infrastructure;

namespace ZkGateway.Compat;

/// <summary>The proxy the resume/expiry scenarios rely on, against a local echo server.</summary>
public sealed class TcpCutProxyTests
{
    [Fact]
    public async Task The_proxy_forwards_then_cuts_then_black_holes_then_restores_connections()
    {
        using var echo = new TcpListener(IPAddress.Loopback, 0);
        echo.Start();
        using var stop = new CancellationTokenSource();
        var echoLoop = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var s = await echo.AcceptSocketAsync(stop.Token);
                _ = Task.Run(async () =>
                {
                    var b = new byte[1024];
                    try
                    {
                        int n;
                        while ((n = await s.ReceiveAsync(b)) > 0)
                        {
                            await s.SendAsync(b.AsMemory(0, n));
                        }
                    }
                    catch (SocketException)
                    {
                    }

                    s.Dispose();
                });
            }
        });

        await using var proxy = new TcpCutProxy(((IPEndPoint)echo.LocalEndpoint).Port);

        using var c1 = await ConnectAsync(proxy.Port);
        Assert.Equal("hi", await EchoAsync(c1, "hi"));

        proxy.CutAll();
        Assert.Null(await EchoAsync(c1, "after cut")); // closed by the proxy

        using var c2 = await ConnectAsync(proxy.Port);
        Assert.Equal("again", await EchoAsync(c2, "again"));

        proxy.BlackHole();
        Assert.Equal("timeout", await EchoAsync(c2, "dropped", TimeSpan.FromMilliseconds(300)));
        using var c3 = await ConnectAsync(proxy.Port); // accepted, but nothing gets through
        Assert.Equal("timeout", await EchoAsync(c3, "dropped", TimeSpan.FromMilliseconds(300)));

        proxy.Restore();
        Assert.Null(await EchoAsync(c3, "closed")); // black-holed connections are closed on restore
        using var c4 = await ConnectAsync(proxy.Port);
        Assert.Equal("back", await EchoAsync(c4, "back"));

        await stop.CancelAsync();
        echo.Stop();
        await Assert.ThrowsAnyAsync<Exception>(() => echoLoop);
    }

    private static async Task<Socket> ConnectAsync(int port)
    {
        var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await s.ConnectAsync(IPAddress.Loopback, port);
        return s;
    }

    /// <summary>The echoed text, null when the connection is closed, "timeout" when nothing comes back.</summary>
    private static async Task<string?> EchoAsync(Socket s, string text, TimeSpan? wait = null)
    {
        using var cts = new CancellationTokenSource(wait ?? TimeSpan.FromSeconds(5));
        try
        {
            await s.SendAsync(Encoding.ASCII.GetBytes(text), cts.Token);
            var buf = new byte[1024];
            var got = new StringBuilder();
            while (got.Length < text.Length)
            {
                var n = await s.ReceiveAsync(buf, SocketFlags.None, cts.Token);
                if (n == 0)
                {
                    return null;
                }

                got.Append(Encoding.ASCII.GetString(buf, 0, n));
            }

            return got.ToString();
        }
        catch (OperationCanceledException)
        {
            return "timeout";
        }
        catch (SocketException)
        {
            return cts.IsCancellationRequested ? "timeout" : null;
        }
    }
}
