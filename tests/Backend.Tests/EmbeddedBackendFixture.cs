using System.Collections.Concurrent;
using ZkGateway.Backend.Embedded;
using ZkGateway.Backend;
using ZkGateway.Jute.Data;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.Backend.Tests;

/// <summary>A sink that records what the distributor delivers.</summary>
public sealed class RecordingSink : INotificationSink
{
    public ConcurrentQueue<(long Watcher, WatchEvent Event)> Events { get; } = new();

    public ConcurrentQueue<long> ClosedSessions { get; } = new();

    public void Deliver(long watcher, WatchEvent watchEvent) => Events.Enqueue((watcher, watchEvent));

    public void SessionClosed(long sessionId) => ClosedSessions.Enqueue(sessionId);

    public List<(long Watcher, WatchEvent Event)> Drain()
    {
        var list = new List<(long, WatchEvent)>();
        while (Events.TryDequeue(out var e))
        {
            list.Add(e);
        }
        return list;
    }
}

/// <summary>An embedded backend on a fresh temporary data directory, restartable on the same directory.</summary>
public sealed class EmbeddedBackend : IAsyncDisposable
{
    private EmbeddedBackend(string dataDir, FaaSBackend backend, RecordingSink sink)
    {
        DataDir = dataDir;
        Backend = backend;
        Sink = sink;
    }

    public string DataDir { get; }

    public FaaSBackend Backend { get; private set; }

    public RecordingSink Sink { get; private set; }

    public static async Task<EmbeddedBackend> StartAsync(int tickTime = 2000, bool extendedTypes = false)
    {
        string dir = Path.Combine(Path.GetTempPath(), "zkgw-backend-" + Guid.NewGuid().ToString("N"));
        var sink = new RecordingSink();
        var backend = await EmbeddedDeployment.StartAsync(Options(dir, tickTime, extendedTypes), sink);
        return new EmbeddedBackend(dir, backend, sink);
    }

    private static BackendOptions Options(string dir, int tickTime, bool extendedTypes) =>
        new() { DataDir = dir, TickTime = tickTime, ExtendedTypesEnabled = extendedTypes };

    /// <summary>Stops the backend cleanly and starts a new one on the same data directory.</summary>
    public async Task RestartAsync(int tickTime = 2000)
    {
        await Backend.DisposeAsync();
        Sink = new RecordingSink();
        Backend = await EmbeddedDeployment.StartAsync(Options(DataDir, tickTime, false), Sink);
    }

    public async Task<long> NewSessionAsync(int timeoutMs = 30000) => (await Backend.CreateSessionAsync(timeoutMs)).SessionId;

    public Task<WriteResult> CreateAsync(long session, string path, string data = "", CreateMode mode = CreateMode.Persistent) =>
        Backend.SubmitAsync(session, new CreateOperation(path, System.Text.Encoding.UTF8.GetBytes(data), Acl.OpenAclUnsafe, mode));

    public async ValueTask DisposeAsync()
    {
        await Backend.DisposeAsync();
        try
        {
            Directory.Delete(DataDir, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }
}
