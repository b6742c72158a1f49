using System.IO.Pipelines;
using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Features;

namespace ZkGateway.Gateway.Tests.Support;

/// <summary>
/// The least a <see cref="ConnectionHandler"/> needs of a connection: its transport, a remote address
/// (every connection holds <c>ip:</c> its address) and an abort that ends it as a closed socket would.
/// </summary>
internal sealed class TestConnectionContext : ConnectionContext
{
    private readonly CancellationTokenSource _closed = new();

    public TestConnectionContext(IDuplexPipe transport, IDuplexPipe application)
    {
        Transport = transport;
        Application = application;
        ConnectionClosed = _closed.Token;
    }

    /// <summary>The client's end of the pipes.</summary>
    public IDuplexPipe Application { get; }

    public override string ConnectionId { get; set; } = "test-" + Guid.NewGuid().ToString("N")[..8];

    public override IFeatureCollection Features { get; } = new FeatureCollection();

    public override IDictionary<object, object?> Items { get; set; } = new Dictionary<object, object?>();

    public override IDuplexPipe Transport { get; set; }

    public override EndPoint? RemoteEndPoint { get; set; } = new IPEndPoint(IPAddress.Loopback, 50000);

    /// <summary>Whether the server aborted the connection (another connection took over its session).</summary>
    public bool Aborted { get; private set; }

    public override void Abort(ConnectionAbortedException abortReason)
    {
        Aborted = true;
        _closed.Cancel();
        // A socket closed under the server: its reads end.
        Application.Output.Complete();
    }

    public override ValueTask DisposeAsync()
    {
        _closed.Dispose();
        return default;
    }
}
