using System.Buffers;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using ZkGateway.Backend;
using ZkGateway.Gateway.Dispatch;
using ZkGateway.Gateway.Hosting;
using ZkGateway.Gateway.Tls;
using ZkGateway.Jute;
using ZkGateway.Jute.Framing;
using ZkGateway.Jute.Proto;
using Log = ZkGateway.Gateway.Connections.ConnectionLog;

namespace ZkGateway.Gateway.Connections;

/// <summary>
/// One ZooKeeper client connection: the four-letter-word check, the handshake, then the read loop
/// (ZkConnectionHandler.ReadLoop.cs) alongside the outbound writer loop. The returned task is the
/// connection's lifetime.
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
        _dispatcher = new RequestDispatcher(backend, options, logger);
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
            if (!TryAuthenticateCertificate(context, out var certificateIds))
            {
                return;
            }
            var (request, fourLetterWord, traceMask) = await ReadFirstFrameAsync(input).ConfigureAwait(false);
            if (fourLetterWord is not null)
            {
                var snapshot = await _statistics.SnapshotAsync(_backend, _registry, withEphemerals: fourLetterWord == "dump", withQuotas: fourLetterWord == "mntr").ConfigureAwait(false);
                string text = FourLetterWords.Respond(fourLetterWord, snapshot, _options, traceMask);
                if (fourLetterWord == "srst" && FourLetterWords.IsEnabled(fourLetterWord, _options))
                {
                    _statistics.Reset();
                }
                if (fourLetterWord == "crst" && FourLetterWords.IsEnabled(fourLetterWord, _options))
                {
                    foreach (var c in _registry.Connections)
                    {
                        c.ResetStatistics();
                    }
                }
                await output.WriteAsync(System.Text.Encoding.UTF8.GetBytes(text)).ConfigureAwait(false);
                return;
            }
            if (request is null)
            {
                return;
            }
            _statistics.RecordConnectionRequest();
            connection = new ZkConnection(_registry.NextConnectionId(), context, _logger);
            foreach (var id in certificateIds)
            {
                connection.AddAuth(id);
            }
            if (!await HandshakeAsync(connection, request, output).ConfigureAwait(false))
            {
                return;
            }
            _registry.Add(connection);
            connection.CountRepliesIn(_statistics);
            // The writer loop, ending, cancels the read loop's read: awaiting the read loop alone sees
            // either end (no Task.WhenAny promise held per idle session, issue 14).
            var writer = connection.Outbound.RunAsync(output, context.ConnectionClosed, input);
            var reader = ReadLoopAsync(connection, input, output, context.ConnectionClosed);
            await ((Task)reader).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            if (reader.IsCompletedSuccessfully && reader.Result && !writer.IsCompleted)
            {
                // The server ends this connection after a final reply (closeSession, Unimplemented,
                // AuthFailed): let the writer send everything up to it.
                connection.Outbound.CloseWhenDrained();
                await Task.WhenAny(writer, Task.Delay(TimeSpan.FromSeconds(10))).ConfigureAwait(false);
            }
            // Either loop ending ends the connection: stop the other one.
            connection.Outbound.Abort();
            input.CancelPendingRead();
            await Task.WhenAll(ObserveAsync(writer, context.ConnectionId, "the writer loop"), ObserveAsync(reader, context.ConnectionId, "the read loop")).ConfigureAwait(false);
        }
        catch (Exception e) when (IsExpected(e))
        {
            LogExpected(context.ConnectionId, e);
        }
        finally
        {
            _registry.Release(address);
            if (connection is not null)
            {
                _registry.Remove(connection);
                // A read still queued behind a write may register a watch; let it finish first so that
                // no watch outlives its connection.
                await DrainRequestsAsync(connection, context.ConnectionId).ConfigureAwait(false);
                _backend.RemoveWatcher(connection.Id);
            }
            await output.CompleteAsync().ConfigureAwait(false);
            await input.CompleteAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// A connection on the TLS port: the ids its client certificate gives (ClientIds), or false when the
    /// connection must be closed at once. The handshake itself (and the trust check) ran in Kestrel's
    /// TLS middleware before this handler.
    /// </summary>
    private bool TryAuthenticateCertificate(ConnectionContext context, out IReadOnlyList<Jute.Data.Id> ids)
    {
        ids = [];
        var tls = context.Features.Get<ITlsConnectionFeature>();
        if (tls is null)
        {
            return true;
        }
        var certificate = tls.ClientCertificate;
        if (ClientIds.Authenticate(_options, certificate, out ids) == ClientIds.Outcome.NoProvider)
        {
            Log.NoX509Provider(_logger, context.ConnectionId, certificate?.Subject ?? "");
            return false;
        }
        foreach (var id in ids)
        {
            Log.CertificateAuthenticated(_logger, context.ConnectionId, id.Scheme ?? "", id.Ident ?? "");
        }
        return true;
    }

    /// <summary>How long a closed connection waits for its pending requests before dropping its watches.</summary>
    private const int DrainSeconds = 30;

    /// <summary>
    /// Awaits one of the connection's loops as it closes. A fault no longer changes what happens (the
    /// connection is closing) but is logged: a client's bad frame or departure quietly, ours as an error.
    /// </summary>
    private async Task ObserveAsync(Task loop, string connectionId, string part)
    {
        try
        {
            await loop.ConfigureAwait(false);
        }
        catch (Exception e) when (IsExpected(e))
        {
            LogExpected(connectionId, e);
        }
        catch (Exception e)
        {
            Log.ConnectionFailed(_logger, connectionId, part, e);
        }
    }

    private async Task DrainRequestsAsync(ZkConnection connection, string connectionId)
    {
        try
        {
            await connection.Scheduler.Completed.WaitAsync(TimeSpan.FromSeconds(DrainSeconds)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            Log.PendingAfterClose(_logger, connectionId, DrainSeconds);
        }
        catch (Exception e)
        {
            Log.ConnectionFailed(_logger, connectionId, "a pending request", e);
        }
    }

    /// <summary>A malformed frame from the client, or the client gone: the ends of a connection that are no fault of ours.</summary>
    private static bool IsExpected(Exception e) =>
        e is JuteFormatException or IOException or ConnectionResetException or OperationCanceledException or ConnectionAbortedException;

    private void LogExpected(string connectionId, Exception e)
    {
        if (e is JuteFormatException)
        {
            Log.MalformedInput(_logger, connectionId, e.Message);
        }
        else
        {
            Log.PeerGone(_logger, connectionId, e.Message);
        }
    }

    /// <summary>
    /// Reads the first frame. Before the handshake, a first 4 bytes that spell a four-letter word make
    /// the connection a command (NIOServerCnxn.checkFourLetterWord); otherwise it is a ConnectRequest.
    /// </summary>
    private async Task<(ConnectRequest? Request, string? FourLetterWord, long TraceMask)> ReadFirstFrameAsync(PipeReader input)
    {
        using var handshakeTimeout = new CancellationTokenSource(TimeSpan.FromMilliseconds(_options.HandshakeTimeoutMs));
        while (true)
        {
            var result = await input.ReadAsync(handshakeTimeout.Token).ConfigureAwait(false);
            var buffer = result.Buffer;
            var decision = new FirstFrame.Decision(FirstFrame.Kind.NeedMore);
            try
            {
                decision = FirstFrame.Take(ref buffer, result.IsCompleted, _options.JuteMaxBuffer);
                switch (decision.Kind)
                {
                    case FirstFrame.Kind.Connect:
                        return (decision.Request, null, 0);
                    case FirstFrame.Kind.FourLetterWord:
                        return (null, decision.Command, decision.TraceMask);
                    case FirstFrame.Kind.Close:
                        return (null, null, 0);
                }
            }
            finally
            {
                // Consumed up to what was taken; the requests in the handshake's own write stay unexamined.
                input.AdvanceTo(buffer.Start, decision.ExaminedEverything ? buffer.End : buffer.Start);
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
        else
        {
            // 3.8.0 closes the session's current connection before it checks the password: a refused
            // takeover closes it too (the session lives on).
            _registry.CloseSessionConnection(request.SessionId, connection);
            accepted = await _backend.TryResumeSessionAsync(request.SessionId, request.Passwd ?? [], timeout).ConfigureAwait(false);
            response = accepted
                ? new ConnectResponse(0, timeout, request.SessionId, request.Passwd, readOnly)
                : new ConnectResponse(0, 0, 0, new byte[16], readOnly);
            if (accepted)
            {
                connection.SessionId = request.SessionId;
            }
        }
        connection.SessionTimeout = response.TimeOut;
        connection.SessionPassword = response.Passwd;
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
}
