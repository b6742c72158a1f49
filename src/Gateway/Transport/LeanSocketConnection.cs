using System.Globalization;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Features;

namespace ZkGateway.Gateway.Transport;

/// <summary>
/// One accepted plaintext client connection as a <see cref="ConnectionContext"/>, so that
/// ZkConnectionHandler serves it exactly as it serves Kestrel's: four objects (this, the
/// socket, its receive side and its send side) instead of Kestrel's socket connection, two pipes and
/// their loops. Made by <see cref="ClientPortListener"/>, which also closes it.
/// </summary>
internal sealed class LeanSocketConnection : ConnectionContext, IDuplexPipe
{
    /// <summary>No features: nothing on this path is TLS, and the handler only asks for that.</summary>
    private static readonly IFeatureCollection NoFeatures = new FeatureCollection(0);

    private readonly Socket _socket;
    private readonly long _number;
    private IDictionary<object, object?>? _items;
    private int _closed;

    // The listener's list of open connections (for shutdown), linked through the connections
    // themselves: no per-connection node.
    internal LeanSocketConnection? Previous;
    internal LeanSocketConnection? Next;

    /// <summary>The handler serving this connection, and the listener to tell when it ends.</summary>
    internal Task? Handled;
    internal ClientPortListener? Listener;

    /// <summary>The handler's task completed: the listener closes and forgets this connection.</summary>
    internal void HandlerEnded() => Listener!.Closed(Handled!, this);

    public LeanSocketConnection(Socket socket, long number)
    {
        _socket = socket;
        _number = number;
        Input = new SocketReceiveSide(socket);
        Output = new SocketSendSide(socket);
    }

    public PipeReader Input { get; }

    public PipeWriter Output { get; }

    /// <summary>Made on demand (only logs ask): keeping a string per idle connection costs memory.</summary>
    public override string ConnectionId
    {
        get => "zk-" + _number.ToString(CultureInfo.InvariantCulture);
        set => throw new NotSupportedException("The connection id is derived from the accept order.");
    }

    public override IFeatureCollection Features => NoFeatures;

    public override IDictionary<object, object?> Items
    {
        get => _items ??= new Dictionary<object, object?>();
        set => _items = value;
    }

    public override IDuplexPipe Transport
    {
        get => this;
        set => throw new NotSupportedException("The transport is the socket.");
    }

    public override EndPoint? RemoteEndPoint
    {
        get => _socket.RemoteEndPoint;
        set => throw new NotSupportedException();
    }

    public override EndPoint? LocalEndPoint
    {
        get => _socket.LocalEndPoint;
        set => throw new NotSupportedException();
    }

    /// <summary>
    /// Never cancelled: the handler ends its loops itself when the read side ends, and
    /// <see cref="Abort(ConnectionAbortedException)"/> ends the read side. A token source per
    /// connection would cost memory for nothing.
    /// </summary>
    public override CancellationToken ConnectionClosed
    {
        get => CancellationToken.None;
        set => throw new NotSupportedException();
    }

    /// <summary>
    /// Closes both directions without releasing the socket: a pending receive sees the end of the
    /// stream, a pending send fails, and the handler winds the connection down.
    /// </summary>
    public override void Abort(ConnectionAbortedException abortReason)
    {
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Already closed.
        }
    }

    /// <summary>After the handler returned: the end of the stream to the client (FIN), then the socket released.</summary>
    public override ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _closed, 1) == 0)
        {
            Abort(null!);
            _socket.Dispose();
        }
        return default;
    }
}
