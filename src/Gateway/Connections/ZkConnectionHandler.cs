using System.Buffers;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;
using ZkGateway.Backend;
using ZkGateway.Gateway.Dispatch;
using ZkGateway.Gateway.Hosting;
using ZkGateway.Jute;
using ZkGateway.Jute.Framing;
using ZkGateway.Jute.Proto;

namespace ZkGateway.Gateway.Connections;

/// <summary>
/// One ZooKeeper client connection: the four-letter-word check, the handshake, then the read loop
/// alongside the outbound writer loop. The returned task is the connection's lifetime.
/// </summary>
public sealed partial class ZkConnectionHandler : ConnectionHandler
{
    private readonly IZkBackend _backend;
    private readonly ConnectionRegistry _registry;
    private readonly GatewayOptions _options;
    private readonly RequestDispatcher _dispatcher;
    private readonly GatewayStatistics _statistics;
    private readonly ILogger<ZkConnectionHandler> _logger;

    public ZkConnectionHandler(IZkBackend backend, ConnectionRegistry registry, GatewayOptions options, GatewayStatistics statistics, ILogger<ZkConnectionHandler> logger)
    {
        _backend = backend;
        _registry = registry;
        _options = options;
        _statistics = statistics;
        _logger = logger;
        _dispatcher = new RequestDispatcher(backend, options);
    }

    public override async Task OnConnectedAsync(ConnectionContext context)
    {
        var input = context.Transport.Input;
        var output = context.Transport.Output;
        var address = (context.RemoteEndPoint as System.Net.IPEndPoint)?.Address;
        if (!_registry.TryAdmit(address, _options.MaxClientCnxns))
        {
            // ZooKeeper closes at accept time: "Too many connections from <ip> - max is N".
            Log.TooManyConnections(_logger, address?.ToString() ?? "?", _options.MaxClientCnxns);
            await output.CompleteAsync().ConfigureAwait(false);
            await input.CompleteAsync().ConfigureAwait(false);
            return;
        }
        ZkConnection? connection = null;
        try
        {
            var (request, fourLetterWord) = await ReadFirstFrameAsync(input).ConfigureAwait(false);
            if (fourLetterWord is not null)
            {
                string text = FourLetterWords.Respond(fourLetterWord, await _statistics.SnapshotAsync(_backend, _registry).ConfigureAwait(false), _options);
                if (fourLetterWord == "srst" && FourLetterWords.IsEnabled(fourLetterWord, _options))
                {
                    _statistics.Reset();
                }
                await output.WriteAsync(System.Text.Encoding.UTF8.GetBytes(text)).ConfigureAwait(false);
                return;
            }
            if (request is null)
            {
                return;
            }
            connection = new ZkConnection(_registry.NextConnectionId(), context);
            if (!await HandshakeAsync(connection, request, output).ConfigureAwait(false))
            {
                return;
            }
            _registry.Add(connection);
            connection.Outbound.ReplySent = (op, start) => _statistics.RecordReply(connection, op, start);
            var writer = connection.Outbound.RunAsync(output, context.ConnectionClosed);
            var reader = ReadLoopAsync(connection, input, output, context.ConnectionClosed);
            var first = await Task.WhenAny(writer, reader).ConfigureAwait(false);
            if (first == reader && reader.IsCompletedSuccessfully && reader.Result)
            {
                // The server ends this connection after a final reply (closeSession, Unimplemented,
                // AuthFailed): let the writer send everything up to it.
                connection.Outbound.CloseWhenDrained();
                await Task.WhenAny(writer, Task.Delay(TimeSpan.FromSeconds(10))).ConfigureAwait(false);
            }
            // Either loop ending ends the connection: stop the other one.
            connection.Outbound.Abort();
            input.CancelPendingRead();
            await Task.WhenAll(IgnoreFailure(writer), IgnoreFailure(reader)).ConfigureAwait(false);
        }
        catch (JuteFormatException e)
        {
            Log.MalformedInput(_logger, context.ConnectionId, e.Message);
        }
        catch (Exception e) when (e is IOException or ConnectionResetException or OperationCanceledException or ConnectionAbortedException)
        {
            // The peer went away; nothing to answer.
        }
        finally
        {
            _registry.Release(address);
            if (connection is not null)
            {
                _registry.Remove(connection);
                // A read still queued behind a write may register a watch; let it finish first so that
                // no watch outlives its connection.
                await IgnoreFailure(connection.PreviousCompleted.WaitAsync(TimeSpan.FromSeconds(30))).ConfigureAwait(false);
                _backend.RemoveWatcher(connection.Id);
            }
            await output.CompleteAsync().ConfigureAwait(false);
            await input.CompleteAsync().ConfigureAwait(false);
        }
    }

    private static async Task IgnoreFailure(Task task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The connection is closing; its loops' faults are moot.
        }
    }

    /// <summary>
    /// Reads the first frame. Before the handshake, a first 4 bytes that spell a four-letter word make
    /// the connection a command (NIOServerCnxn.checkFourLetterWord); otherwise it is a ConnectRequest.
    /// </summary>
    private async Task<(ConnectRequest? Request, string? FourLetterWord)> ReadFirstFrameAsync(PipeReader input)
    {
        using var handshakeTimeout = new CancellationTokenSource(TimeSpan.FromMilliseconds(_options.HandshakeTimeoutMs));
        var first = new byte[4];
        while (true)
        {
            var result = await input.ReadAsync(handshakeTimeout.Token).ConfigureAwait(false);
            var buffer = result.Buffer;
            try
            {
                if (buffer.Length >= 4)
                {
                    buffer.Slice(0, 4).CopyTo(first);
                    if (FourLetterWords.TryGetCommand(first, out string? command))
                    {
                        buffer = buffer.Slice(4);
                        return (null, command);
                    }
                }
                if (FrameReader.TryRead(ref buffer, _options.JuteMaxBuffer, out var payload))
                {
                    var bytes = payload.ToArray();
                    var reader = new JuteReader(bytes);
                    return (ConnectRequest.Read(ref reader), null);
                }
                if (result.IsCompleted)
                {
                    return (null, null);
                }
            }
            finally
            {
                // Consumed up to what we took; everything buffered has been examined.
                input.AdvanceTo(buffer.Start, buffer.End);
            }
        }
    }

    /// <summary>
    /// ZooKeeper's handshake: refuse a client that has seen a newer zxid than ours (close, no reply);
    /// clamp the timeout; create a session, or resume one with its id and password; an unknown,
    /// expired or wrongly authenticated session gets the zeroed ConnectResponse and the connection is
    /// closed. The reply mirrors the client's form (readOnly present or not).
    /// </summary>
    private async Task<bool> HandshakeAsync(ZkConnection connection, ConnectRequest request, PipeWriter output)
    {
        // The last zxid may be cached (a second old on AWS): ask again before refusing.
        long lastZxid = await _backend.GetLastZxidAsync().ConfigureAwait(false);
        if (request.LastZxidSeen > lastZxid && request.LastZxidSeen > (lastZxid = await _backend.ReadLastZxidAsync().ConfigureAwait(false)))
        {
            Log.ClientAhead(_logger, request.LastZxidSeen, lastZxid);
            return false;
        }
        connection.ClientSentReadOnly = request.ReadOnly is not null;
        bool? readOnly = connection.ClientSentReadOnly ? false : null;
        int timeout = _options.ClampSessionTimeout(request.TimeOut);
        ConnectResponse response;
        bool accepted;
        if (request.SessionId == 0)
        {
            var grant = await _backend.CreateSessionAsync(timeout).ConfigureAwait(false);
            response = new ConnectResponse(0, grant.TimeoutMs, grant.SessionId, grant.Password, readOnly);
            connection.SessionId = grant.SessionId;
            accepted = true;
        }
        else if (await _backend.TryResumeSessionAsync(request.SessionId, request.Passwd ?? [], timeout).ConfigureAwait(false))
        {
            response = new ConnectResponse(0, timeout, request.SessionId, request.Passwd, readOnly);
            connection.SessionId = request.SessionId;
            accepted = true;
        }
        else
        {
            response = new ConnectResponse(0, 0, 0, new byte[16], readOnly);
            accepted = false;
        }
        connection.SessionTimeout = response.TimeOut;
        if (accepted)
        {
            _registry.AttachSession(connection.SessionId, connection);
        }
        var frame = new FrameBuffer(64);
        frame.BeginFrame();
        var writer = new JuteWriter(frame);
        response.Write(ref writer);
        frame.EndFrame();
        await output.WriteAsync(frame.WrittenMemory).ConfigureAwait(false);
        return accepted;
    }

    /// <summary>
    /// The read loop (house-style practice 1): read, take whole frames, dispatch, advance. Returns true
    /// when the server decided to close after a final reply, false when the client went away.
    /// </summary>
    private async Task<bool> ReadLoopAsync(ZkConnection connection, PipeReader input, PipeWriter output, CancellationToken connectionClosed)
    {
        byte[]? scratch = null;
        try
        {
            while (true)
            {
                var result = await input.ReadAsync().ConfigureAwait(false);
                if (result.IsCanceled)
                {
                    return false;
                }
                var buffer = result.Buffer;
                bool stop = false;
                connection.Outbound.BeginReadLoopBatch();
                try
                {
                    while (!stop && FrameReader.TryRead(ref buffer, _options.JuteMaxBuffer, out var payload))
                    {
                        stop = HandleFrame(connection, payload, ref scratch) == RequestDispatcher.Next.Close;
                    }
                }
                catch
                {
                    connection.Outbound.CancelReadLoopBatch();
                    throw;
                }
                finally
                {
                    // Whole frames are consumed; a partial one stays, and all of it was examined, so the
                    // next read waits for more bytes instead of returning the same ones.
                    input.AdvanceTo(buffer.Start, buffer.End);
                }
                // The replies this read's frames completed at once (reads answered from memory) go out
                // from here, in one flush, when the writer loop is idle.
                await connection.Outbound.EndReadLoopBatchAsync(output, connectionClosed).ConfigureAwait(false);
                if (stop)
                {
                    return true;
                }
                if (result.IsCompleted)
                {
                    return false;
                }
            }
        }
        finally
        {
            if (scratch is not null)
            {
                ArrayPool<byte>.Shared.Return(scratch);
            }
        }
    }

    private RequestDispatcher.Next HandleFrame(ZkConnection connection, in ReadOnlySequence<byte> payload, ref byte[]? scratch)
    {
        ReadOnlySpan<byte> span;
        if (payload.IsSingleSegment)
        {
            span = payload.FirstSpan;
        }
        else
        {
            if (scratch is null || scratch.Length < payload.Length)
            {
                if (scratch is not null)
                {
                    ArrayPool<byte>.Shared.Return(scratch);
                }
                scratch = ArrayPool<byte>.Shared.Rent((int)payload.Length);
            }
            payload.CopyTo(scratch);
            span = scratch.AsSpan(0, (int)payload.Length);
        }
        var reader = new JuteReader(span);
        var header = RequestHeader.Read(ref reader);
        Interlocked.Increment(ref connection.PacketsReceived);
        _statistics.RecordReceived();
        connection.LastCxid = header.Xid;
        _backend.TouchSession(connection.SessionId);
        return _dispatcher.Dispatch(connection, header, span[reader.Position..]);
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Connection {ConnectionId}: malformed input, closing: {Reason}")]
        public static partial void MalformedInput(ILogger logger, string connectionId, string reason);

        [LoggerMessage(2, LogLevel.Information, "Refusing a client whose lastZxidSeen 0x{ClientZxid:x} is ahead of ours 0x{ServerZxid:x}")]
        public static partial void ClientAhead(ILogger logger, long clientZxid, long serverZxid);

        [LoggerMessage(3, LogLevel.Warning, "Too many connections from {Address} - max is {Limit}")]
        public static partial void TooManyConnections(ILogger logger, string address, int limit);
    }
}
