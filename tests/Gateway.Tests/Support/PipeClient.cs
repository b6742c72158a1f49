using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using ZkGateway.Jute;
using ZkGateway.Jute.Framing;
using ZkGateway.Jute.Proto;
using ZkGateway.Jute.Protocol;
using ZkGateway.Testing;

namespace ZkGateway.Gateway.Tests.Support;

/// <summary>
/// The client's end of an in-memory connection: sends exactly the frames it is told to (malformed
/// ones too) and reads back whatever the server writes, one frame at a time, until the server closes.
/// </summary>
internal sealed class PipeClient
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private readonly PipeReader _fromServer;
    private readonly PipeWriter _toServer;
    private int _nextXid;

    public PipeClient(IDuplexPipe application)
    {
        _fromServer = application.Input;
        _toServer = application.Output;
    }

    /// <summary>Sends a ConnectRequest; the readOnly byte is left out when <paramref name="readOnly"/> is null (an old client).</summary>
    public Task SendConnectAsync(long sessionId = 0, byte[]? password = null, long lastZxidSeen = 0, bool? readOnly = false, int timeoutMs = 30_000) =>
        SendRawAsync(RawZkClient.Frame(new ConnectRequest(0, lastZxidSeen, timeoutMs, sessionId, password ?? new byte[16], readOnly)));

    /// <summary>The ConnectResponse, or null when the server closed without one.</summary>
    public async Task<ConnectResponse?> ReadConnectResponseAsync()
    {
        var payload = await ReadFrameAsync();
        if (payload is null)
        {
            return null;
        }
        var reader = new JuteReader(payload);
        return ConnectResponse.Read(ref reader);
    }

    /// <summary>A handshake that must succeed: a new session, or the given one resumed.</summary>
    public async Task<ConnectResponse> ConnectAsync(long sessionId = 0, byte[]? password = null)
    {
        await SendConnectAsync(sessionId, password);
        var response = await ReadConnectResponseAsync();
        Assert.NotNull(response);
        Assert.NotEqual(0, response.SessionId);
        return response;
    }

    /// <summary>Sends one request with the next xid (or <paramref name="xid"/>); returns the xid used.</summary>
    public async Task<int> SendAsync(OpCode op, IJuteRecord? body = null, int? xid = null)
    {
        int used = xid ?? ++_nextXid;
        await SendRawAsync(RequestFrame(used, op, body));
        return used;
    }

    /// <summary>A request frame: the length prefix, the RequestHeader, then the body if any.</summary>
    public static byte[] RequestFrame(int xid, OpCode op, IJuteRecord? body)
    {
        var frame = new FrameBuffer();
        frame.BeginFrame();
        var writer = new JuteWriter(frame);
        new RequestHeader(xid, op).Write(ref writer);
        body?.Write(ref writer);
        frame.EndFrame();
        return frame.WrittenSpan.ToArray();
    }

    /// <summary>A frame whose 4-byte length prefix says <paramref name="length"/>, with nothing after it.</summary>
    public Task SendLengthOnlyAsync(int length)
    {
        var prefix = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(prefix, length);
        return SendRawAsync(prefix);
    }

    public async Task SendRawAsync(byte[] bytes) => await _toServer.WriteAsync(bytes);

    /// <summary>The next frame from the server; null when it closed the connection.</summary>
    public async Task<RawReply?> ReadAsync() => await ReadFrameAsync() is { } payload ? Parse(payload) : null;

    /// <summary>The next frame, which must be there.</summary>
    public async Task<RawReply> ReadReplyAsync() => await ReadAsync() ?? throw new EndOfStreamException("The server closed the connection.");

    /// <summary>The next <paramref name="count"/> frames, described: "reply 3 Ok" or "event NodeDataChanged /a".</summary>
    public async Task<List<string>> ReadDescribedAsync(int count)
    {
        var frames = new List<string>();
        for (int i = 0; i < count; i++)
        {
            frames.Add(Describe(await ReadReplyAsync()));
        }
        return frames;
    }

    /// <summary>The whole frames the server has written so far, described, without waiting for more.</summary>
    public List<string> ReadyFrames()
    {
        var frames = new List<string>();
        if (!_fromServer.TryRead(out var result))
        {
            return frames;
        }
        var buffer = result.Buffer;
        while (FrameReader.TryRead(ref buffer, int.MaxValue, out var payload))
        {
            frames.Add(Describe(Parse(payload.ToArray())));
        }
        _fromServer.AdvanceTo(buffer.Start, buffer.End);
        return frames;
    }

    /// <summary>Reads until the server closes; fails if anything else arrives first.</summary>
    public async Task AssertClosedAsync()
    {
        var next = await ReadAsync();
        Assert.True(next is null, next is null ? "" : "expected the connection to be closed, got " + Describe(next));
    }

    /// <summary>Everything the server writes until it closes, as text (a four-letter word's answer).</summary>
    public async Task<string> ReadTextToEndAsync()
    {
        using var reader = new StreamReader(_fromServer.AsStream());
        return await reader.ReadToEndAsync().WaitAsync(Patience);
    }

    public static string Describe(RawReply frame)
    {
        if (frame.Header.Xid == Xids.Notification)
        {
            var e = frame.Decode<WatcherEvent>();
            return $"event {e.Type} {e.Path}";
        }
        return $"reply {frame.Header.Xid} {frame.Header.Err}";
    }

    private static RawReply Parse(byte[] payload)
    {
        var reader = new JuteReader(payload);
        var header = ReplyHeader.Read(ref reader);
        return new RawReply(header, payload[reader.Position..]);
    }

    /// <summary>One length-prefixed frame's payload; null once the server has closed.</summary>
    private async Task<byte[]?> ReadFrameAsync()
    {
        using var patience = new CancellationTokenSource(Patience);
        while (true)
        {
            var result = await _fromServer.ReadAsync(patience.Token);
            var buffer = result.Buffer;
            if (FrameReader.TryRead(ref buffer, int.MaxValue, out var payload))
            {
                var bytes = payload.ToArray();
                _fromServer.AdvanceTo(buffer.Start);
                return bytes;
            }
            _fromServer.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
            {
                return null;
            }
        }
    }
}
