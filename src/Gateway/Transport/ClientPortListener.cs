using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace ZkGateway.Gateway.Transport;

/// <summary>
/// The plaintext clientPort without Kestrel: a listening socket, an accept loop, and for each client a
/// <see cref="LeanSocketConnection"/> handed to the connection handler. An idle client then costs its
/// socket, a pending zero-byte receive and the handler's own state (docs/performance.md, "Session
/// memory"). TLS, port unification and the HTTP endpoints stay on Kestrel.
/// </summary>
public sealed partial class ClientPortListener : IAsyncDisposable
{
    private readonly IPEndPoint _endpoint;
    private readonly int _backlog;
    private readonly ConnectionHandler _handler;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private readonly TaskCompletionSource _allClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Socket? _listener;
    private Task? _acceptLoop;
    private LeanSocketConnection? _open;
    private int _openCount;
    private long _accepted;
    private bool _stopping;

    /// <param name="endpoint">clientPortAddress:clientPort (port 0: any free port, see <see cref="BoundEndPoint"/>).</param>
    /// <param name="backlog">clientPortListenBacklog; 0 or less: 512, Kestrel's default.</param>
    /// <param name="handler">Serves each connection (ZkConnectionHandler).</param>
    /// <param name="logger">Where accept failures and handler faults are logged.</param>
    public ClientPortListener(IPEndPoint endpoint, int backlog, ConnectionHandler handler, ILogger logger)
    {
        _endpoint = endpoint;
        _backlog = backlog > 0 ? backlog : 512;
        _handler = handler;
        _logger = logger;
    }

    /// <summary>The address bound, once started.</summary>
    public IPEndPoint? BoundEndPoint { get; private set; }

    /// <summary>Binds and starts accepting. A bind failure throws <see cref="SocketException"/>.</summary>
    public void Start()
    {
        var socket = new Socket(_endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (_endpoint.Address.Equals(IPAddress.IPv6Any))
            {
                socket.DualMode = true;
            }
            // A restarted gateway binds its port again at once, whatever is left in TIME_WAIT.
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            socket.Bind(_endpoint);
            socket.Listen(_backlog);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        _listener = socket;
        BoundEndPoint = (IPEndPoint)socket.LocalEndPoint!;
        _acceptLoop = AcceptLoopAsync(socket);
    }

    private async Task AcceptLoopAsync(Socket listener)
    {
        while (true)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync().ConfigureAwait(false);
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.OperationAborted or SocketError.Interrupted)
            {
                return;
            }
            catch (SocketException e)
            {
                // Out of descriptors and the like: the listener itself is fine, try the next one.
                AcceptFailed(_logger, e.SocketErrorCode.ToString());
                await Task.Delay(10).ConfigureAwait(false);
                continue;
            }
            Serve(client);
        }
    }

    private void Serve(Socket client)
    {
        // As Kestrel's transport was set up: no Nagle delay on replies. Non-blocking, so that a send
        // takes what fits and a receive says "nothing yet" instead of waiting (SocketReceiveSide).
        client.NoDelay = true;
        client.Blocking = false;
        var connection = new LeanSocketConnection(client, Interlocked.Increment(ref _accepted));
        lock (_lock)
        {
            if (_stopping)
            {
                client.Dispose();
                return;
            }
            connection.Next = _open;
            if (_open is not null)
            {
                _open.Previous = connection;
            }
            _open = connection;
            _openCount++;
        }
        Task handled;
        try
        {
            handled = _handler.OnConnectedAsync(connection);
        }
        catch (Exception e)
        {
            handled = Task.FromException(e);
        }
        // A continuation on the handler's task, not an async method awaiting it: no second state
        // machine per idle connection.
        connection.Handled = handled;
        connection.Listener = this;
        handled.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(connection.HandlerEnded);
    }

    internal void Closed(Task handled, LeanSocketConnection connection)
    {
        if (handled.IsFaulted)
        {
            HandlerFailed(_logger, connection.ConnectionId, handled.Exception!.GetBaseException());
        }
        _ = connection.DisposeAsync();
        bool last;
        lock (_lock)
        {
            if (connection.Previous is not null)
            {
                connection.Previous.Next = connection.Next;
            }
            else if (_open == connection)
            {
                _open = connection.Next;
            }
            if (connection.Next is not null)
            {
                connection.Next.Previous = connection.Previous;
            }
            connection.Previous = connection.Next = null;
            _openCount--;
            last = _stopping && _openCount == 0;
        }
        if (last)
        {
            _allClosed.TrySetResult();
        }
    }

    /// <summary>The open connections, for tests and diagnostics.</summary>
    public int OpenConnections
    {
        get
        {
            lock (_lock)
            {
                return _openCount;
            }
        }
    }

    /// <summary>
    /// Stops accepting and closes every connection (as ZooKeeper closes its connections when it
    /// stops), then waits for their handlers to finish, or for <paramref name="cancellationToken"/>.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        List<LeanSocketConnection> open = [];
        lock (_lock)
        {
            if (_stopping)
            {
                return;
            }
            _stopping = true;
            for (var c = _open; c is not null; c = c.Next)
            {
                open.Add(c);
            }
            if (_openCount == 0)
            {
                _allClosed.TrySetResult();
            }
        }
        _listener?.Dispose();
        if (_acceptLoop is not null)
        {
            await _acceptLoop.ConfigureAwait(false);
        }
        foreach (var c in open)
        {
            c.Abort(new ConnectionAbortedException("The server is stopping."));
        }
        try
        {
            await _allClosed.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The host's shutdown timeout: the handlers left finish on their own.
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync(CancellationToken.None).ConfigureAwait(false);

    [LoggerMessage(Level = LogLevel.Warning, Message = "accepting a client connection failed: {Error}")]
    private static partial void AcceptFailed(ILogger logger, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "connection {ConnectionId}: the handler failed")]
    private static partial void HandlerFailed(ILogger logger, string connectionId, Exception exception);
}
