using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Net.Sockets;
using ZkGateway.Jute;
using ZkGateway.Jute.Framing;
using ZkGateway.Jute.Proto;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.LoadTool;

/// <summary>The outcome of one request: the reply's error code (or the multi's first failing op).</summary>
public readonly record struct OpResult(ErrorCode Err, long ReplyTimestamp, IReadOnlyList<string>? Children = null);

/// <summary>
/// A minimal pipelined ZooKeeper session for load generation: any number of callers may have
/// requests outstanding; frames are written under a lock in xid order and replies, which the server
/// returns in request order, are matched against a FIFO of pending requests. Notifications go to
/// <see cref="Notified"/> (ignored when it is null). No reconnects; no pings unless asked for
/// (<see cref="KeepAlive"/>): most phases keep their sessions busy.
/// </summary>
public sealed class ZkConnection : IAsyncDisposable
{
    private const int MaxFrame = 16 * 1024 * 1024;

    private readonly TcpClient _tcp;
    private readonly Stream _stream;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly Queue<Pending> _pending = new();
    private readonly Lock _pendingLock = new();
    private readonly Task _readLoop;
    private int _nextXid;
    private readonly int _sessionTimeoutMs;
    private readonly int _receiveBufferSize;
    private Timer? _keepAlive;
    private FrameBuffer? _pingScratch;

    private sealed class Pending(int xid, OpCode op) : TaskCompletionSource<OpResult>(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        public int Xid { get; } = xid;
        public OpCode Op { get; } = op;
    }

    private ZkConnection(TcpClient tcp, Stream stream, int sessionTimeoutMs, int receiveBufferSize)
    {
        _tcp = tcp;
        _stream = stream;
        _sessionTimeoutMs = sessionTimeoutMs;
        _receiveBufferSize = receiveBufferSize;
        _readLoop = Task.Run(ReadLoopAsync);
    }

    /// <summary>The receive buffer of a pipelined session: replies of 64 in flight arrive in few reads.</summary>
    public const int PipelinedReceiveBuffer = 64 * 1024;

    /// <summary>
    /// Opens a session; with <paramref name="tls"/>, over TLS (the handshake first, then the
    /// ConnectRequest inside it). <paramref name="receiveBufferSize"/> is held while the session waits
    /// for replies: the sessions phase opens 10,000 at once with one request each, and 64 KiB each was
    /// 640 MB of the client's own, allocated and collected on the machine the servers run on.
    /// </summary>
    public static async Task<ZkConnection> ConnectAsync(string host, int port, TlsClientOptions.Loaded? tls = null, int sessionTimeoutMs = 30000,
        int receiveBufferSize = PipelinedReceiveBuffer, CancellationToken cancellationToken = default)
    {
        var tcp = new TcpClient { NoDelay = true };
        try
        {
            await tcp.ConnectAsync(host, port, cancellationToken);
            Stream stream = tcp.GetStream();
            if (tls is not null)
            {
                stream = await tls.AuthenticateAsync(stream, host, cancellationToken);
            }
            var buffer = new FrameBuffer(256);
            buffer.BeginFrame();
            var writer = new JuteWriter(buffer);
            new ConnectRequest(0, 0, sessionTimeoutMs, 0, new byte[16], false).Write(ref writer);
            buffer.EndFrame();
            await stream.WriteAsync(buffer.WrittenMemory, cancellationToken);
            var prefix = new byte[4];
            await stream.ReadExactlyAsync(prefix, cancellationToken);
            int length = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(prefix);
            if (length <= 0 || length > 4096)
            {
                throw new IOException($"Bad handshake reply length {length}.");
            }
            var payload = new byte[length];
            await stream.ReadExactlyAsync(payload, cancellationToken);
            var response = JuteSerializer.ReadExact<ConnectResponse>(payload);
            if (response.TimeOut <= 0)
            {
                throw new IOException("The server refused the session.");
            }
            return new ZkConnection(tcp, stream, response.TimeOut, receiveBufferSize);
        }
        catch
        {
            tcp.Dispose();
            throw;
        }
    }

    /// <summary>Completes when the connection is closed (by either side).</summary>
    public Task Closed => _readLoop;

    /// <summary>
    /// Pings every third of the session timeout, as the official clients do when idle, so that a session
    /// that only waits (a watcher during a fan-out) outlives it: ZooKeeper moves a session's deadline
    /// only on the packets its client sends, never on the events it is sent.
    /// </summary>
    public void KeepAlive()
    {
        var interval = TimeSpan.FromMilliseconds(_sessionTimeoutMs / 3);
        _pingScratch ??= new FrameBuffer(16);
        _keepAlive ??= new Timer(static state => _ = ((ZkConnection)state!).PingAsync(), this, interval, interval);
    }

    /// <summary>One ping (xid -2): no pending entry, its reply is skipped by the receive loop.</summary>
    private async Task PingAsync()
    {
        try
        {
            await _writeLock.WaitAsync().ConfigureAwait(false);
            try
            {
                var scratch = _pingScratch!;
                scratch.Clear();
                scratch.BeginFrame();
                var writer = new JuteWriter(scratch);
                new RequestHeader(Xids.Ping, OpCode.Ping).Write(ref writer);
                scratch.EndFrame();
                await _stream.WriteAsync(scratch.WrittenMemory).ConfigureAwait(false);
            }
            finally
            {
                _writeLock.Release();
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or SocketException)
        {
            // The connection is gone: Closed says so, and the phase reports it.
        }
    }

    /// <summary>Called on the receive loop for every watch event, with the event's timestamp; keep it short.</summary>
    public Action<WatcherEvent, long>? Notified { get; set; }

    /// <summary>
    /// Frames <paramref name="body"/> behind a request header into <paramref name="scratch"/> (the
    /// caller's own buffer, reused) and sends it; the task completes when its reply arrives.
    /// </summary>
    public async Task<OpResult> SendAsync(OpCode op, IJuteRecord? body, FrameBuffer scratch)
    {
        await _writeLock.WaitAsync().ConfigureAwait(false);
        Pending pending;
        try
        {
            int xid = ++_nextXid;
            scratch.Clear();
            scratch.BeginFrame();
            var writer = new JuteWriter(scratch);
            new RequestHeader(xid, op).Write(ref writer);
            body?.Write(ref writer);
            scratch.EndFrame();
            pending = new Pending(xid, op);
            lock (_pendingLock)
            {
                _pending.Enqueue(pending);
            }
            await _stream.WriteAsync(scratch.WrittenMemory).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
        return await pending.Task.ConfigureAwait(false);
    }

    private async Task ReadLoopAsync()
    {
        var reader = PipeReader.Create(_stream, new StreamPipeReaderOptions(bufferSize: _receiveBufferSize, minimumReadSize: _receiveBufferSize / 4));
        Exception? failure = null;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync().ConfigureAwait(false);
                var buffer = result.Buffer;
                while (FrameReader.TryRead(ref buffer, MaxFrame, out var payload))
                {
                    long now = Stopwatch.GetTimestamp();
                    if (payload.IsSingleSegment)
                    {
                        OnReply(payload.FirstSpan, now);
                    }
                    else
                    {
                        OnReply(payload.ToArray(), now);
                    }
                }
                reader.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (Exception e)
        {
            failure = e;
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
            lock (_pendingLock)
            {
                while (_pending.TryDequeue(out var p))
                {
                    p.TrySetException(failure ?? new IOException("Connection closed."));
                }
            }
        }
    }

    private void OnReply(ReadOnlySpan<byte> payload, long now)
    {
        var reader = new JuteReader(payload);
        var header = ReplyHeader.Read(ref reader);
        if (header.Xid == Xids.Notification)
        {
            Notified?.Invoke(WatcherEvent.Read(ref reader), now);
            return;
        }
        if (header.Xid == Xids.Ping)
        {
            return;
        }
        Pending? next;
        lock (_pendingLock)
        {
            _pending.TryDequeue(out next);
        }
        if (next is null)
        {
            throw new InvalidDataException($"Reply xid {header.Xid} with nothing outstanding.");
        }
        if (next.Xid != header.Xid)
        {
            throw new InvalidDataException($"Reply xid {header.Xid}, expected {next.Xid}.");
        }
        var err = header.Err;
        IReadOnlyList<string>? children = null;
        if (err == ErrorCode.Ok)
        {
            // Decode what a real client would, so the client's cost is realistic and the reply is checked.
            switch (next.Op)
            {
                case OpCode.GetData:
                    GetDataResponse.Read(ref reader);
                    break;
                case OpCode.SetData:
                case OpCode.Exists:
                    SetDataResponse.Read(ref reader);
                    break;
                case OpCode.GetChildren:
                    children = GetChildrenResponse.Read(ref reader).Children;
                    break;
                case OpCode.Multi:
                    foreach (var r in MultiResponse.Read(ref reader).Results)
                    {
                        if (r.Err != ErrorCode.Ok)
                        {
                            err = r.Err;
                            break;
                        }
                    }
                    break;
            }
        }
        next.TrySetResult(new OpResult(err, now, children));
    }

    /// <summary>Lists the children of <paramref name="path"/> (empty when it does not exist).</summary>
    public async Task<IReadOnlyList<string>> GetChildrenAsync(string path, FrameBuffer scratch)
    {
        var result = await SendAsync(OpCode.GetChildren, new GetChildrenRequest(path, false), scratch).ConfigureAwait(false);
        return result.Err == ErrorCode.Ok ? result.Children ?? [] : [];
    }

    public async ValueTask DisposeAsync()
    {
        if (_keepAlive is not null)
        {
            await _keepAlive.DisposeAsync().ConfigureAwait(false);
        }
        try
        {
            // closeSession, so ephemeral state (none here) and the session go at once on both servers.
            var scratch = new FrameBuffer(64);
            await SendAsync(OpCode.CloseSession, null, scratch).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Already closed or the server went away: nothing to do.
        }
        _tcp.Dispose();
        try
        {
            await _readLoop.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Closing.
        }
        _writeLock.Dispose();
    }
}
