using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using ZkGateway.Jute;
using ZkGateway.Jute.Data;
using ZkGateway.Jute.Framing;
using ZkGateway.Jute.Proto;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.Gateway.Client;

/// <summary>A reply: its header (zxid, error) and the body bytes after it.</summary>
internal sealed record ZooKeeperReply(ReplyHeader Header, byte[] Body)
{
    public T Decode<T>() where T : IJuteReadable<T>
    {
        var reader = new JuteReader(Body);
        return T.Read(ref reader);
    }
}

/// <summary>
/// The small ZooKeeper client the operator's tools (export, compare) read servers with: one session
/// on one connection, pipelined requests answered in order, pings while idle, addauth. No watches and
/// no reconnection: a tool that loses its connection reports it and stops.
/// </summary>
internal sealed class ZooKeeperClient : IAsyncDisposable
{
    private const int MaxFrame = 64 * 1024 * 1024;
    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;
    private readonly SemaphoreSlim _send = new(1, 1);
    private readonly Queue<(int Xid, TaskCompletionSource<ZooKeeperReply> Reply)> _pending = new();
    private readonly Lock _pendingLock = new();
    private readonly CancellationTokenSource _closing = new();
    private readonly Task _reader;
    private readonly Task _pinger;
    private int _xid;

    private ZooKeeperClient(TcpClient tcp, int sessionTimeoutMs)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
        _reader = Task.Run(ReadLoopAsync);
        _pinger = Task.Run(() => PingLoopAsync(TimeSpan.FromMilliseconds(Math.Max(100, sessionTimeoutMs / 3))));
    }

    /// <summary>Connects to <c>host:port</c> and opens a session.</summary>
    public static async Task<ZooKeeperClient> ConnectAsync(string address, int sessionTimeoutMs, CancellationToken cancellationToken)
    {
        int colon = address.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(address.AsSpan(colon + 1), out int port))
        {
            throw new ArgumentException($"{address}: not host:port");
        }
        var tcp = new TcpClient { NoDelay = true };
        try
        {
            await tcp.ConnectAsync(address[..colon], port, cancellationToken).ConfigureAwait(false);
            var stream = tcp.GetStream();
            await stream.WriteAsync(Frame(new ConnectRequest(0, 0, sessionTimeoutMs, 0, new byte[16], false), null), cancellationToken).ConfigureAwait(false);
            byte[] payload = await ReadFrameAsync(stream, cancellationToken).ConfigureAwait(false)
                ?? throw new IOException($"{address} closed the connection during the handshake");
            var reader = new JuteReader(payload);
            var response = ConnectResponse.Read(ref reader);
            if (response.SessionId == 0)
            {
                throw new IOException($"{address} refused the session");
            }
            return new ZooKeeperClient(tcp, response.TimeOut);
        }
        catch
        {
            tcp.Dispose();
            throw;
        }
    }

    /// <summary>addauth: <paramref name="credentials"/> is "scheme:auth", e.g. "digest:user:password".</summary>
    public async Task AddAuthAsync(string credentials, CancellationToken cancellationToken)
    {
        int colon = credentials.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
        {
            throw new ArgumentException($"{credentials}: not scheme:auth");
        }
        var reply = await SendAsync(OpCode.Auth, new AuthPacket(0, credentials[..colon], Encoding.UTF8.GetBytes(credentials[(colon + 1)..])), cancellationToken, Xids.Auth).ConfigureAwait(false);
        if (reply.Header.Err != ErrorCode.Ok)
        {
            throw new IOException($"addauth {credentials[..colon]}: {reply.Header.Err}");
        }
    }

    /// <summary>Sends a request and awaits its reply (requests sent together are pipelined).</summary>
    public async Task<ZooKeeperReply> SendAsync(OpCode op, IJuteRecord? body, CancellationToken cancellationToken, int? xid = null)
    {
        var reply = new TaskCompletionSource<ZooKeeperReply>(TaskCreationOptions.RunContinuationsAsynchronously);
        await _send.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            int id = xid ?? Interlocked.Increment(ref _xid);
            lock (_pendingLock)
            {
                _pending.Enqueue((id, reply));
            }
            if (_reader.IsCompleted)
            {
                throw new IOException("the connection is closed");
            }
            await _stream.WriteAsync(Frame(new RequestHeader(id, op), body), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _send.Release();
        }
        return await reply.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private static byte[] Frame(IJuteRecord first, IJuteRecord? second)
    {
        var buffer = new FrameBuffer(256);
        buffer.BeginFrame();
        var writer = new JuteWriter(buffer);
        first.Write(ref writer);
        second?.Write(ref writer);
        buffer.EndFrame();
        return buffer.WrittenSpan.ToArray();
    }

    private async Task ReadLoopAsync()
    {
        Exception failure = new IOException("the server closed the connection");
        try
        {
            while (await ReadFrameAsync(_stream, _closing.Token).ConfigureAwait(false) is { } frame)
            {
                var reader = new JuteReader(frame);
                var header = ReplyHeader.Read(ref reader);
                if (header.Xid is Xids.Notification or Xids.Ping)
                {
                    continue;
                }
                TaskCompletionSource<ZooKeeperReply>? waiting = null;
                lock (_pendingLock)
                {
                    // Replies come in request order; a reply to an unknown xid is a protocol error.
                    if (_pending.TryPeek(out var next) && next.Xid == header.Xid)
                    {
                        waiting = _pending.Dequeue().Reply;
                    }
                }
                if (waiting is null)
                {
                    failure = new IOException($"a reply with xid {header.Xid}, which no request had");
                    break;
                }
                waiting.TrySetResult(new ZooKeeperReply(header, frame[reader.Position..]));
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or InvalidDataException or JuteFormatException)
        {
            failure = e;
        }
        lock (_pendingLock)
        {
            while (_pending.TryDequeue(out var p))
            {
                p.Reply.TrySetException(failure);
            }
        }
    }

    private async Task PingLoopAsync(TimeSpan interval)
    {
        try
        {
            while (!_closing.IsCancellationRequested)
            {
                await Task.Delay(interval, _closing.Token).ConfigureAwait(false);
                await _send.WaitAsync(_closing.Token).ConfigureAwait(false);
                try
                {
                    await _stream.WriteAsync(Frame(new RequestHeader(Xids.Ping, OpCode.Ping), null), _closing.Token).ConfigureAwait(false);
                }
                finally
                {
                    _send.Release();
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException)
        {
            // Closing, or the read loop reports the broken connection.
        }
    }

    private static async Task<byte[]?> ReadFrameAsync(Stream stream, CancellationToken cancellationToken)
    {
        byte[] prefix = new byte[4];
        if (await stream.ReadAtLeastAsync(prefix, 4, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false) < 4)
        {
            return null;
        }
        int length = BinaryPrimitives.ReadInt32BigEndian(prefix);
        if (length is < 0 or > MaxFrame)
        {
            throw new InvalidDataException($"a reply frame of {length} bytes");
        }
        byte[] frame = new byte[length];
        await stream.ReadExactlyAsync(frame, cancellationToken).ConfigureAwait(false);
        return frame;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await SendAsync(OpCode.CloseSession, null, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or SocketException)
        {
            // The session expires on its own.
        }
        await _closing.CancelAsync().ConfigureAwait(false);
        _tcp.Dispose();
        await Task.WhenAll(_reader, _pinger).ConfigureAwait(false);
        _closing.Dispose();
        _send.Dispose();
    }
}
