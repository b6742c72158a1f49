namespace ZkGateway.Backend.Tests;

/// <summary>A test class's set-up: an embedded backend on a fresh data directory and one session on it.</summary>
public abstract class EmbeddedSessionTests : IAsyncLifetime
{
    protected EmbeddedBackend Zk { get; private set; } = null!;

    protected long Session { get; private set; }

    protected IZkBackend B => Zk.Backend;

    public async Task InitializeAsync()
    {
        Zk = await EmbeddedBackend.StartAsync();
        Session = await Zk.NewSessionAsync();
    }

    public async Task DisposeAsync() => await Zk.DisposeAsync();
}
