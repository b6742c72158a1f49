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
    private readonly long _snapshotLogBytes;

    private EmbeddedBackend(string dataDir, FaaSBackend backend, RecordingSink sink, long snapshotLogBytes)
    {
        _snapshotLogBytes = snapshotLogBytes;
        DataDir = dataDir;
        Backend = backend;
        Sink = sink;
    }

    public string DataDir { get; }

    public FaaSBackend Backend { get; private set; }

    public RecordingSink Sink { get; private set; }

    /// <param name="snapshotLogBytes">The embedded store's snapshot threshold (small: snapshots while the test writes).</param>
    /// <param name="dataDir">A data directory to start on (a test that prepared one); default: a new one.</param>
    public static async Task<EmbeddedBackend> StartAsync(int tickTime = 2000, bool extendedTypes = false, long snapshotLogBytes = 64L << 20, string? dataDir = null)
    {
        string dir = dataDir ?? Path.Combine(Path.GetTempPath(), "zkgw-backend-" + Guid.NewGuid().ToString("N"));
        var sink = new RecordingSink();
        var backend = await EmbeddedDeployment.StartAsync(Options(dir, tickTime, extendedTypes, snapshotLogBytes), sink);
        return new EmbeddedBackend(dir, backend, sink, snapshotLogBytes);
    }

    private static BackendOptions Options(string dir, int tickTime, bool extendedTypes, long snapshotLogBytes) =>
        new() { DataDir = dir, TickTime = tickTime, ExtendedTypesEnabled = extendedTypes, SnapshotLogBytes = snapshotLogBytes };

    /// <summary>Stops the backend cleanly, without starting it again (a test then changes the files).</summary>
    public async Task StopAsync() => await Backend.DisposeAsync();

    /// <summary>Starts a backend on the data directory after <see cref="StopAsync"/>.</summary>
    public async Task StartAgainAsync()
    {
        Sink = new RecordingSink();
        Backend = await EmbeddedDeployment.StartAsync(Options(DataDir, 2000, false, _snapshotLogBytes), Sink);
    }

    /// <summary>Stops the backend cleanly and starts a new one on the same data directory.</summary>
    public async Task RestartAsync(int tickTime = 2000)
    {
        await Backend.DisposeAsync();
        Sink = new RecordingSink();
        Backend = await EmbeddedDeployment.StartAsync(Options(DataDir, tickTime, false, _snapshotLogBytes), Sink);
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
