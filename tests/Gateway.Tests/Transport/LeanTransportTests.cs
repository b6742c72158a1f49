using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging.Abstractions;
using ZkGateway.Gateway.Transport;

namespace ZkGateway.Gateway.Tests.Transport;

/// <summary>
/// The plaintext client port's own transport (ClientPortListener, LeanSocketConnection) under a
/// handler that echoes what it reads: what a ConnectionContext must do at the socket's edges.
/// </summary>
public sealed class LeanTransportTests : IAsyncLifetime
{
    private readonly EchoHandler _handler = new();
    private ClientPortListener _listener = null!;

    public Task InitializeAsync()
    {
        _listener = new ClientPortListener(new IPEndPoint(IPAddress.Loopback, 0), 0, _handler, NullLogger.Instance);
        _listener.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        // Bounded: a handler that never ends (a broken transport) fails its test, not the whole run.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await _listener.StopAsync(timeout.Token);
    }

    private async Task<Socket> ConnectAsync()
    {
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await client.ConnectAsync(_listener.BoundEndPoint!);
        return client;
    }

    [Fact]
    public async Task A_half_closed_client_gets_every_byte_it_sent_echoed_and_then_the_end_of_the_stream()
    {
        using var client = await ConnectAsync();
        var sent = new byte[100_000];
        Random.Shared.NextBytes(sent);
        await client.SendAsync(sent);
        client.Shutdown(SocketShutdown.Send);

        var received = await ReadToEndAsync(client);

        Assert.Equal(sent, received);
        Assert.Null(await _handler.Ended.Task.WaitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task A_client_that_resets_the_connection_ends_its_handler_with_a_connection_reset()
    {
        var client = await ConnectAsync();
        await client.SendAsync(new byte[] { 1, 2, 3 });
        await ReadExactlyAsync(client, 3);
        // Linger 0: closing sends RST instead of FIN.
        client.LingerState = new LingerOption(true, 0);
        client.Close();

        var ended = await _handler.Ended.Task.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.IsType<ConnectionResetException>(ended);
        await WaitForAsync(() => _listener.OpenConnections == 0);
    }

    [Fact]
    public async Task An_idle_connection_holds_no_receive_buffer_and_a_partly_consumed_one_keeps_its_bytes()
    {
        _handler.ConsumeAllButLast = true;
        using var client = await ConnectAsync();
        await client.SendAsync(new byte[] { 1, 2, 3, 4, 5 });
        // The handler consumed four bytes: the fifth waits in a buffer.
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, await ReadExactlyAsync(client, 4));
        await WaitForAsync(() => _handler.Reader is { HoldsBuffer: true } && _handler.Waiting);
        await client.SendAsync(new byte[] { 6 });
        // Now everything but the last byte is consumed again: 5 is echoed, 6 stays.
        Assert.Equal(new byte[] { 5 }, await ReadExactlyAsync(client, 1));
        _handler.ConsumeAllButLast = false;
        await client.SendAsync(new byte[] { 7 });
        Assert.Equal(new byte[] { 6, 7 }, await ReadExactlyAsync(client, 2));
        // Everything consumed: the connection waits for its next bytes holding no buffer.
        await WaitForAsync(() => _handler.Waiting && _handler.Reader is { HoldsBuffer: false });
    }

    [Fact]
    public async Task Stopping_the_listener_closes_open_connections()
    {
        using var client = await ConnectAsync();
        await client.SendAsync(new byte[] { 9 });
        await ReadExactlyAsync(client, 1);

        await _listener.StopAsync(CancellationToken.None);

        Assert.Empty(await ReadToEndAsync(client));
        Assert.Equal(0, _listener.OpenConnections);
    }

    private static async Task<byte[]> ReadToEndAsync(Socket client)
    {
        var all = new List<byte>();
        var buffer = new byte[8192];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            int n = await client.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
            if (n == 0)
            {
                return [.. all];
            }
            all.AddRange(buffer.AsSpan(0, n));
        }
    }

    private static async Task<byte[]> ReadExactlyAsync(Socket client, int count)
    {
        var buffer = new byte[count];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        int read = 0;
        while (read < count)
        {
            int n = await client.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None, timeout.Token);
            Assert.NotEqual(0, n);
            read += n;
        }
        return buffer;
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition did not come true within 30 s");
            await Task.Delay(10);
        }
    }

    /// <summary>Echoes what it reads (all of it, or all but the last byte), and says how it ended.</summary>
    private sealed class EchoHandler : ConnectionHandler
    {
        public TaskCompletionSource<Exception?> Ended { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public volatile bool ConsumeAllButLast;

        public volatile bool Waiting;

        public SocketReceiveSide? Reader { get; private set; }

        public override async Task OnConnectedAsync(ConnectionContext connection)
        {
            var input = connection.Transport.Input;
            var output = connection.Transport.Output;
            Reader = input as SocketReceiveSide;
            try
            {
                while (true)
                {
                    Waiting = true;
                    var result = await input.ReadAsync();
                    Waiting = false;
                    var buffer = result.Buffer;
                    // Echo what is consumed; what is left stays in the reader until a later read.
                    var take = ConsumeAllButLast && !result.IsCompleted ? buffer.Slice(0, Math.Max(0, buffer.Length - 1)) : buffer;
                    foreach (var segment in take)
                    {
                        await output.WriteAsync(segment);
                    }
                    input.AdvanceTo(take.End, buffer.End);
                    if (result.IsCompleted)
                    {
                        break;
                    }
                }
                Ended.TrySetResult(null);
            }
            catch (Exception e)
            {
                Ended.TrySetResult(e);
            }
            finally
            {
                await output.CompleteAsync();
                await input.CompleteAsync();
            }
        }
    }
}
