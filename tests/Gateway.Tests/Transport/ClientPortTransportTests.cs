using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using ZkGateway.Gateway.Connections;
using ZkGateway.Gateway.Hosting;
using ZkGateway.Jute;
using ZkGateway.Jute.Data;
using ZkGateway.Jute.Framing;
using ZkGateway.Jute.Proto;
using ZkGateway.Jute.Protocol;
using ZkGateway.Testing;
using static ZkGateway.Gateway.Tests.Support.TestArguments;

namespace ZkGateway.Gateway.Tests.Transport;

/// <summary>
/// The gateway on its own plaintext transport, driven over real TCP: frames split anywhere, frames
/// larger than a receive buffer, and a client that never reads what it is sent.
/// </summary>
public sealed class ClientPortTransportTests : IAsyncLifetime
{
    private WebApplication _app = null!;
    private GatewayOptions _options = null!;

    public async Task InitializeAsync()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        string dataDir = Path.Combine(Path.GetTempPath(), "zkgw-transport-" + Guid.NewGuid().ToString("N"));
        _options = ZooCfg.Parse([NoAdmin, $"--clientPort={port}", $"--dataDir={dataDir}", "--maxClientCnxns=0"]);
        _app = GatewayHost.Build(_options);
        await _app.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private static byte[] Request(int xid, OpCode op, IJuteRecord body)
    {
        var buffer = new FrameBuffer();
        buffer.BeginFrame();
        var writer = new JuteWriter(buffer);
        new RequestHeader(xid, op).Write(ref writer);
        body.Write(ref writer);
        buffer.EndFrame();
        return buffer.WrittenSpan.ToArray();
    }

    private static async Task<(ReplyHeader Header, byte[] Body)> ReadReplyAsync(Stream stream)
    {
        var payload = await RawZkClient.ReadFrameAsync(stream).WaitAsync(TimeSpan.FromSeconds(30)) ?? throw new IOException("closed");
        var reader = new JuteReader(payload);
        var header = ReplyHeader.Read(ref reader);
        return (header, payload[reader.Position..]);
    }

    private static byte[] DataOf(byte[] body)
    {
        var reader = new JuteReader(body);
        return GetDataResponse.Read(ref reader).Data ?? [];
    }

    [Fact]
    public async Task Pipelined_frames_split_at_every_offset_are_answered_in_order()
    {
        await using (var setup = await RawZkClient.ConnectAsync(_options.ClientPort))
        {
            Assert.Equal(ErrorCode.Ok, (await setup.CreateAsync("/split", "abc"u8.ToArray())).Error);
        }
        byte[] burst = [.. Request(1, OpCode.GetData, new GetDataRequest("/split", false)),
            .. Request(2, OpCode.Exists, new ExistsRequest("/split", false)),
            .. Request(3, OpCode.GetData, new GetDataRequest("/missing", false))];
        for (int offset = 1; offset < burst.Length; offset++)
        {
            var (tcp, response) = await RawZkClient.HandshakeAsync(_options.ClientPort, 10000, 0, null, 0, sendReadOnly: true);
            using (tcp)
            {
                Assert.NotNull(response);
                var stream = tcp.GetStream();
                await stream.WriteAsync(burst.AsMemory(0, offset));
                // A pause so that the two parts arrive in two reads (pacing only, nothing is timed).
                await Task.Delay(2);
                await stream.WriteAsync(burst.AsMemory(offset));

                var first = await ReadReplyAsync(stream);
                var second = await ReadReplyAsync(stream);
                var third = await ReadReplyAsync(stream);
                Assert.Equal((1, ErrorCode.Ok), (first.Header.Xid, first.Header.Err));
                Assert.Equal("abc"u8.ToArray(), DataOf(first.Body));
                Assert.Equal((2, ErrorCode.Ok), (second.Header.Xid, second.Header.Err));
                Assert.Equal((3, ErrorCode.NoNode), (third.Header.Xid, third.Header.Err));
            }
        }
    }

    [Fact]
    public async Task A_frame_larger_than_a_receive_buffer_sent_in_pieces_arrives_whole()
    {
        var data = new byte[100_000];
        Random.Shared.NextBytes(data);
        var (tcp, response) = await RawZkClient.HandshakeAsync(_options.ClientPort, 10000, 0, null, 0, sendReadOnly: true);
        using (tcp)
        {
            Assert.NotNull(response);
            var stream = tcp.GetStream();
            byte[] burst = [.. Request(1, OpCode.Create, new CreateRequest("/big", data, Acl.OpenAclUnsafe, CreateMode.Persistent)),
                .. Request(2, OpCode.GetData, new GetDataRequest("/big", false))];
            // Pieces of 3,000 bytes: the frame crosses every buffer boundary, and the second frame
            // starts inside a piece.
            for (int at = 0; at < burst.Length; at += 3000)
            {
                await stream.WriteAsync(burst.AsMemory(at, Math.Min(3000, burst.Length - at)));
                await Task.Delay(1);
            }

            var created = await ReadReplyAsync(stream);
            var read = await ReadReplyAsync(stream);
            Assert.Equal((1, ErrorCode.Ok), (created.Header.Xid, created.Header.Err));
            Assert.Equal((2, ErrorCode.Ok), (read.Header.Xid, read.Header.Err));
            Assert.Equal(data, DataOf(read.Body));
        }
    }

    [Fact]
    public async Task A_client_that_does_not_read_its_replies_holds_up_only_itself_loses_none_and_is_let_go_when_it_leaves()
    {
        var registry = _app.Services.GetRequiredService<ConnectionRegistry>();
        await using var other = await RawZkClient.ConnectAsync(_options.ClientPort);
        var data = new byte[500_000];
        Random.Shared.NextBytes(data);
        Assert.Equal(ErrorCode.Ok, (await other.CreateAsync("/large", data)).Error);
        const int Requests = 100;
        var requests = Enumerable.Range(1, Requests).SelectMany(xid => Request(xid, OpCode.GetData, new GetDataRequest("/large", false))).ToArray();

        // 50 MB of replies nobody reads yet: the gateway's sends to this client wait for room in
        // the socket's buffers, and so does its reading of the requests behind them.
        var (slow, response) = await RawZkClient.HandshakeAsync(_options.ClientPort, 10000, 0, null, 0, sendReadOnly: true);
        Assert.NotNull(response);
        using (slow)
        {
            // The gateway registers a connection just after it sends the handshake's reply.
            await WaitForAsync(() => registry.Count == 2, "the connection was not registered");
            var stream = slow.GetStream();
            await stream.WriteAsync(requests);
            await ServedMeanwhile(other);
            Assert.Equal(2, registry.Count);
            // The client reads at last: every reply is there, whole and in order.
            for (int xid = 1; xid <= Requests; xid++)
            {
                var reply = await ReadReplyAsync(stream);
                Assert.Equal((xid, ErrorCode.Ok), (reply.Header.Xid, reply.Header.Err));
                Assert.Equal(data, DataOf(reply.Body));
            }
        }

        // A client stuck the same way that goes away (reset): the gateway lets go of its send and the connection.
        var (gone, goneResponse) = await RawZkClient.HandshakeAsync(_options.ClientPort, 10000, 0, null, 0, sendReadOnly: true);
        Assert.NotNull(goneResponse);
        await WaitForAsync(() => registry.Count == 2, "the connection was not registered");
        await gone.GetStream().WriteAsync(requests);
        await ServedMeanwhile(other);
        gone.Client.LingerState = new LingerOption(true, 0);
        gone.Close();
        await WaitForAsync(() => registry.Count == 1, "the stuck connection was not let go");
        Assert.Equal(ErrorCode.Ok, (await other.ExistsAsync("/large")).Error);
    }

    private static async Task WaitForAsync(Func<bool> condition, string failure)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, failure + " within 30 s");
            await Task.Delay(20);
        }
    }

    /// <summary>Another client is answered while one connection is stuck.</summary>
    private static async Task ServedMeanwhile(RawZkClient other)
    {
        for (int i = 0; i < 20; i++)
        {
            Assert.Equal(ErrorCode.Ok, (await other.ExistsAsync("/large")).Error);
        }
    }
}
