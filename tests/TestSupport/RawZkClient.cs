using System.Buffers.Binary;
using System.Net.Sockets;
using System.Threading.Channels;
using ZkGateway.Jute;
using ZkGateway.Jute.Data;
using ZkGateway.Jute.Framing;
using ZkGateway.Jute.Proto;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.Testing;

/// <summary>A reply as received: header plus the raw body bytes (empty when err != 0).</summary>
public sealed record RawReply(ReplyHeader Header, byte[] Body)
{
    public ErrorCode Error => Header.Err;

    public T Decode<T>() where T : IJuteReadable<T>
    {
        var reader = new JuteReader(Body);
        return T.Read(ref reader);
    }
}

/// <summary>
/// A small ZooKeeper client written on src/Jute, for tests that need byte-level control: it sends
/// exactly what it is told (including malformed frames), checks that replies come back in request
/// order, and records every notification with its position relative to replies.
/// Not a product client: no reconnects, no chroot.
/// </summary>
public sealed class RawZkClient : IAsyncDisposable
{
    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly Queue<(int Xid, TaskCompletionSource<RawReply> Completion)> _pending = new();
    private readonly Lock _pendingLock = new();
    private readonly Task _readLoop;
    private int _nextXid;

    private RawZkClient(TcpClient tcp, ConnectResponse handshake)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
        Handshake = handshake;
        _readLoop = Task.Run(ReadLoopAsync);
    }

    public ConnectResponse Handshake { get; }

    public long SessionId => Handshake.SessionId;

    public byte[] Password => Handshake.Passwd ?? [];

    /// <summary>Notifications in arrival order.</summary>
    public Channel<WatcherEvent> Events { get; } = Channel.CreateUnbounded<WatcherEvent>();

    /// <summary>Everything received, in order: "reply:xid" or "event:type:path" (to check event-before-reply order).</summary>
    public List<string> Transcript { get; } = [];

    /// <summary>Completes when the server closes the connection.</summary>
    public Task Closed => _readLoop;

    public long LastZxid { get; private set; }

    /// <summary>
    /// Called on the read loop for every frame after the handshake, in arrival order: the header and,
    /// for a notification (xid -1), its event. Set it before sending anything.
    /// </summary>
    public Action<ReplyHeader, WatcherEvent?>? Observer { get; set; }

    public static async Task<RawZkClient> ConnectAsync(int port, int timeoutMs = 10000, long sessionId = 0, byte[]? password = null, long lastZxidSeen = 0, bool sendReadOnly = true, string host = "127.0.0.1")
    {
        var (tcp, response) = await HandshakeAsync(port, timeoutMs, sessionId, password, lastZxidSeen, sendReadOnly, host);
        if (response is null)
        {
            tcp.Dispose();
            throw new IOException("The server closed the connection during the handshake.");
        }
        return new RawZkClient(tcp, response);
    }

    /// <summary>Performs only the handshake; the response is null if the server closed without replying.</summary>
    public static async Task<(TcpClient Tcp, ConnectResponse? Response)> HandshakeAsync(int port, int timeoutMs, long sessionId, byte[]? password, long lastZxidSeen, bool sendReadOnly, string host = "127.0.0.1")
    {
        var tcp = new TcpClient { NoDelay = true };
        await tcp.ConnectAsync(host, port);
        var request = new ConnectRequest(0, lastZxidSeen, timeoutMs, sessionId, password ?? new byte[16], sendReadOnly ? false : null);
        await tcp.GetStream().WriteAsync(Frame(request));
        var payload = await ReadFrameAsync(tcp.GetStream());
        if (payload is null)
        {
            return (tcp, null);
        }
        var reader = new JuteReader(payload);
        return (tcp, ConnectResponse.Read(ref reader));
    }

    public static byte[] Frame(IJuteRecord record)
    {
        var buffer = new FrameBuffer();
        buffer.BeginFrame();
        var writer = new JuteWriter(buffer);
        record.Write(ref writer);
        buffer.EndFrame();
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Reads one length-prefixed frame; null at end of stream.</summary>
    public static async Task<byte[]?> ReadFrameAsync(Stream stream)
    {
        var prefix = new byte[4];
        if (!await ReadExactlyOrEnd(stream, prefix))
        {
            return null;
        }
        int length = BinaryPrimitives.ReadInt32BigEndian(prefix);
        if (length < 0 || length > 16 * 1024 * 1024)
        {
            throw new InvalidDataException($"Reply frame length {length}.");
        }
        var payload = new byte[length];
        if (!await ReadExactlyOrEnd(stream, payload))
        {
            throw new EndOfStreamException("Short frame.");
        }
        return payload;
    }

    private static async Task<bool> ReadExactlyOrEnd(Stream stream, byte[] buffer)
    {
        int read = 0;
        while (read < buffer.Length)
        {
            int n = await stream.ReadAsync(buffer.AsMemory(read));
            if (n == 0)
            {
                return false;
            }
            read += n;
        }
        return true;
    }

    /// <summary>Sends a request with the next xid (or the given one) and awaits its reply.</summary>
    public async Task<RawReply> SendAsync(OpCode op, IJuteRecord? body, int? xid = null)
    {
        var buffer = new FrameBuffer();
        buffer.BeginFrame();
        var writer = new JuteWriter(buffer);
        int id = xid ?? Interlocked.Increment(ref _nextXid);
        new RequestHeader(id, op).Write(ref writer);
        body?.Write(ref writer);
        buffer.EndFrame();
        var completion = new TaskCompletionSource<RawReply>(TaskCreationOptions.RunContinuationsAsynchronously);
        await _sendLock.WaitAsync();
        try
        {
            lock (_pendingLock)
            {
                _pending.Enqueue((id, completion));
            }
            await _stream.WriteAsync(buffer.WrittenMemory);
        }
        finally
        {
            _sendLock.Release();
        }
        return await completion.Task.WaitAsync(TimeSpan.FromSeconds(30));
    }

    /// <summary>Writes raw bytes (malformed frames, split frames, ...).</summary>
    public async Task SendRawAsync(byte[] bytes)
    {
        await _sendLock.WaitAsync();
        try
        {
            await _stream.WriteAsync(bytes);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>Registers that a reply is expected for a request sent with <see cref="SendRawAsync"/>.</summary>
    public Task<RawReply> ExpectReply(int xid)
    {
        var completion = new TaskCompletionSource<RawReply>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_pendingLock)
        {
            _pending.Enqueue((xid, completion));
        }
        return completion.Task;
    }

    private async Task ReadLoopAsync()
    {
        try
        {
            while (true)
            {
                var payload = await ReadFrameAsync(_stream);
                if (payload is null)
                {
                    break;
                }
                var reader = new JuteReader(payload);
                var header = ReplyHeader.Read(ref reader);
                if (header.Xid == Xids.Notification)
                {
                    var e = WatcherEvent.Read(ref reader);
                    Observer?.Invoke(header, e);
                    lock (Transcript)
                    {
                        Transcript.Add($"event:{e.Type}:{e.Path}");
                    }
                    Events.Writer.TryWrite(e);
                    continue;
                }
                Observer?.Invoke(header, null);
                if (header.Zxid > 0)
                {
                    LastZxid = header.Zxid;
                }
                lock (Transcript)
                {
                    Transcript.Add($"reply:{header.Xid}");
                }
                (int Xid, TaskCompletionSource<RawReply> Completion) next;
                lock (_pendingLock)
                {
                    if (!_pending.TryDequeue(out next))
                    {
                        throw new InvalidDataException($"Unexpected reply xid {header.Xid}.");
                    }
                }
                if (next.Xid != header.Xid)
                {
                    next.Completion.TrySetException(new InvalidDataException($"Xid out of order: expected {next.Xid}, got {header.Xid}."));
                    continue;
                }
                next.Completion.TrySetResult(new RawReply(header, payload[reader.Position..]));
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or SocketException)
        {
            // Connection closed.
        }
        finally
        {
            Events.Writer.TryComplete();
            lock (_pendingLock)
            {
                while (_pending.TryDequeue(out var p))
                {
                    p.Completion.TrySetException(new IOException("Connection closed."));
                }
            }
        }
    }

    // ---- conveniences ---------------------------------------------------------------------------

    public Task<RawReply> CreateAsync(string path, byte[]? data = null, CreateMode mode = CreateMode.Persistent, OpCode op = OpCode.Create) =>
        SendAsync(op, new CreateRequest(path, data ?? [], Acl.OpenAclUnsafe, mode));

    public Task<RawReply> GetDataAsync(string path, bool watch = false) => SendAsync(OpCode.GetData, new GetDataRequest(path, watch));

    public Task<RawReply> ExistsAsync(string path, bool watch = false) => SendAsync(OpCode.Exists, new ExistsRequest(path, watch));

    public Task<RawReply> GetChildrenAsync(string path, bool watch = false) => SendAsync(OpCode.GetChildren, new GetChildrenRequest(path, watch));

    public Task<RawReply> SetDataAsync(string path, byte[] data, int version = -1) => SendAsync(OpCode.SetData, new SetDataRequest(path, data, version));

    public Task<RawReply> DeleteAsync(string path, int version = -1) => SendAsync(OpCode.Delete, new DeleteRequest(path, version));

    public Task<RawReply> PingAsync() => SendAsync(OpCode.Ping, null, Xids.Ping);

    public Task<RawReply> CloseSessionAsync() => SendAsync(OpCode.CloseSession, null);

    public async ValueTask DisposeAsync()
    {
        _tcp.Dispose();
        try
        {
            await _readLoop.WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception)
        {
            // Closing.
        }
        _sendLock.Dispose();
    }
}
