using ZkGateway.Gateway.Connections;
using ZkGateway.Gateway.Hosting;
using ZkGateway.Jute.Proto;

namespace ZkGateway.Gateway.Tests.Support;

/// <summary>
/// The gateway's connection handler over a <see cref="FakeBackend"/>, serving in-memory connections:
/// everything a client meets from its first byte on, without a socket or a host.
/// </summary>
internal sealed class InMemoryGateway
{
    public InMemoryGateway(GatewayOptions? options = null)
    {
        Options = options ?? new GatewayOptions();
        Backend = new FakeBackend(Registry);
        Handler = new ZkConnectionHandler(Backend, Registry, Options, new GatewayStatistics(), Logger);
    }

    public GatewayOptions Options { get; }

    /// <summary>The backend's notification sink, as in the host.</summary>
    public ConnectionRegistry Registry { get; } = new();

    public FakeBackend Backend { get; }

    public ListLogger<ZkConnectionHandler> Logger { get; } = new();

    public ZkConnectionHandler Handler { get; }

    /// <summary>Opens a connection; <see cref="Connection.Lifetime"/> completes when the server has closed it.</summary>
    public Connection Open()
    {
        var (transport, application) = DuplexPipe.CreateConnectionPair();
        var context = new TestConnectionContext(transport, application);
        var lifetime = Task.Run(() => Handler.OnConnectedAsync(context));
        return new Connection(new PipeClient(application), context, lifetime);
    }

    /// <summary>Opens a connection and completes a handshake for a new session.</summary>
    public async Task<Connection> ConnectAsync()
    {
        var connection = Open();
        return connection with { Handshake = await connection.Client.ConnectAsync() };
    }

    /// <summary>One connection: the client's end, the server's context, and the handler's task for it.</summary>
    public sealed record Connection(PipeClient Client, TestConnectionContext Context, Task Lifetime)
    {
        /// <summary>The ConnectResponse, when the connection was opened by <see cref="ConnectAsync"/>.</summary>
        public ConnectResponse? Handshake { get; init; }
    }
}
