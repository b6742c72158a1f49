using System.Diagnostics;
using ZkGateway.Backend.Embedded;
using ZkGateway.Backend.Functions;
using ZkGateway.Backend.Primitives;
using ZkGateway.Backend;
using ZkGateway.Jute.Data;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.Backend.Tests;

/// <summary>A clock that can be moved forward (wall time only; timers run in real time).</summary>
public sealed class ShiftableClock : TimeProvider
{
    private long _offsetMs;

    /// <summary>Moves the wall clock. Session leases lapse too: take a new session for later writes.</summary>
    public void Advance(TimeSpan by) => Interlocked.Add(ref _offsetMs, (long)by.TotalMilliseconds);

    public override DateTimeOffset GetUtcNow() => base.GetUtcNow().AddMilliseconds(Interlocked.Read(ref _offsetMs));
}

/// <summary>A wall clock that stands still (timers and timestamps run in real time).</summary>
public sealed class FrozenClock(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}

/// <summary>
/// The reaper (ZooKeeper's ContainerManager) on the embedded backend: which nodes it deletes, that the
/// deletions are ordinary transactions (zxid, watch events), the writer's re-check of deleteContainer,
/// the rate limit, and that the node kinds survive a restart.
/// </summary>
public sealed class ReaperTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "zkgw-reaper-" + Guid.NewGuid().ToString("N"));
    private readonly ShiftableClock _clock = new();
    private readonly RecordingSink _sink = new();
    private FaaSBackend _zk = null!;
    private long _session;

    public Task InitializeAsync() => StartAsync(checkIntervalMs: 50);

    private async Task StartAsync(int checkIntervalMs, bool extendedTypes = true)
    {
        var options = new BackendOptions { DataDir = _dir, ExtendedTypesEnabled = extendedTypes, ContainerCheckIntervalMs = checkIntervalMs };
        _zk = await EmbeddedDeployment.StartAsync(options, _sink, _clock);
        _session = (await _zk.CreateSessionAsync(30000)).SessionId;
    }

    private async Task RestartAsync(int checkIntervalMs, bool extendedTypes = true)
    {
        await _zk.DisposeAsync();
        await StartAsync(checkIntervalMs, extendedTypes);
    }

    public async Task DisposeAsync()
    {
        await _zk.DisposeAsync();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }

    private async Task<OpResult> CreateAsync(string path, CreateMode mode = CreateMode.Persistent, long ttl = -1, bool asContainer = false) =>
        (await _zk.SubmitAsync(_session, new CreateOperation(path, [], Acl.OpenAclUnsafe, mode, ttl, asContainer))).Result!;

    private async Task DeleteAsync(string path) =>
        Assert.Equal(ErrorCode.Ok, (await _zk.SubmitAsync(_session, new DeleteOperation(path, -1))).Result!.Error);

    private async Task UseOnceAsync(string container)
    {
        Assert.Equal(ErrorCode.Ok, (await CreateAsync(container + "/kid")).Error);
        await DeleteAsync(container + "/kid");
    }

    private async Task<bool> ExistsAsync(string path) => (await _zk.ExistsAsync(path, null)).IsOk;

    private async Task<bool> ReapedAsync(string path)
    {
        var stop = DateTime.UtcNow + Deadline;
        while (DateTime.UtcNow < stop)
        {
            if (!await ExistsAsync(path))
            {
                return true;
            }
            await Task.Delay(20);
        }
        return false;
    }

    [Fact]
    public async Task Used_empty_containers_are_deleted_through_the_write_path_and_others_stay()
    {
        Assert.Equal(ErrorCode.Ok, (await CreateAsync("/p")).Error);
        Assert.Equal(ErrorCode.Ok, (await CreateAsync("/p/never", CreateMode.Container)).Error);
        Assert.Equal(ErrorCode.Ok, (await CreateAsync("/p/full", CreateMode.Container)).Error);
        Assert.Equal(ErrorCode.Ok, (await CreateAsync("/p/full/kid")).Error);
        Assert.Equal(ErrorCode.Ok, (await CreateAsync("/p/plain")).Error);
        await UseOnceAsync("/p/plain");
        Assert.Equal(ErrorCode.Ok, (await CreateAsync("/p/used", CreateMode.Container)).Error);
        Assert.True((await _zk.ExistsAsync("/p/used", watcher: 7)).IsOk);
        Assert.True((await _zk.GetChildrenAsync("/p", watcher: 7)).IsOk);
        long before = await _zk.GetLastZxidAsync();
        await UseOnceAsync("/p/used");

        Assert.True(await ReapedAsync("/p/used"));
        // Several more checks (50 ms apart) while nothing else may go.
        await Task.Delay(500);
        Assert.Equal(["full", "never", "plain"], (await _zk.GetChildrenAsync("/p", null)).Value!.Children.Order(StringComparer.Ordinal));
        var events = _sink.Drain().Where(e => e.Watcher == 7).Select(e => e.Event).ToList();
        Assert.Equal([(EventType.NodeDeleted, "/p/used"), (EventType.NodeChildrenChanged, "/p")], events.Select(e => (e.Type, e.Path)));
        // A transaction of its own, after the child's create and delete.
        Assert.Equal(before + 3, events[0].Zxid);
        Assert.Equal(before + 3, (await _zk.ExistsAsync("/p", null)).Value.Pzxid);
    }

    [Fact]
    public async Task Ttl_nodes_go_once_unchanged_for_longer_than_their_ttl_and_childless()
    {
        var ttl = TimeSpan.FromMinutes(10);
        Assert.Equal(ErrorCode.Ok, (await CreateAsync("/t", CreateMode.PersistentWithTtl, (long)ttl.TotalMilliseconds)).Error);
        Assert.Equal(ErrorCode.Ok, (await CreateAsync("/t-parent", CreateMode.PersistentWithTtl, (long)ttl.TotalMilliseconds)).Error);
        Assert.Equal(ErrorCode.Ok, (await CreateAsync("/t-parent/kid")).Error);
        Assert.Equal(ErrorCode.Ok, (await CreateAsync("/t-changed", CreateMode.PersistentWithTtl, (long)ttl.TotalMilliseconds)).Error);
        await Task.Delay(300);
        Assert.True(await ExistsAsync("/t"));

        _clock.Advance(ttl - TimeSpan.FromMinutes(1));
        _session = (await _zk.CreateSessionAsync(30000)).SessionId;
        // A change restarts the TTL (mtime moves).
        Assert.Equal(ErrorCode.Ok, (await _zk.SubmitAsync(_session, new SetDataOperation("/t-changed", [1], -1))).Result!.Error);
        _clock.Advance(TimeSpan.FromMinutes(2));
        _session = (await _zk.CreateSessionAsync(30000)).SessionId;
        Assert.True(await ReapedAsync("/t"));
        await Task.Delay(300);
        Assert.True(await ExistsAsync("/t-parent"));
        Assert.True(await ExistsAsync("/t-changed"));

        await DeleteAsync("/t-parent/kid");
        Assert.True(await ReapedAsync("/t-parent"));
        _clock.Advance(ttl);
        Assert.True(await ReapedAsync("/t-changed"));
    }

    [Fact]
    public async Task DeleteContainer_deletes_only_a_node_that_is_still_a_candidate()
    {
        Task<WriteResult> Reap(string path) => _zk.SubmitAsync(0, new DeleteContainerOperation(path));
        await RestartAsync(checkIntervalMs: 3_600_000);
        Assert.Equal(ErrorCode.Ok, (await CreateAsync("/c", CreateMode.Container)).Error);
        Assert.Equal(ErrorCode.Ok, (await CreateAsync("/c/kid")).Error);
        Assert.Equal(ErrorCode.Ok, (await CreateAsync("/plain")).Error);
        Assert.Equal(ErrorCode.Ok, (await CreateAsync("/t", CreateMode.PersistentWithTtl, 60_000)).Error);

        Assert.Equal(ErrorCode.NotEmpty, (await Reap("/c")).Error);
        Assert.Equal(ErrorCode.BadVersion, (await Reap("/plain")).Error);
        Assert.Equal(ErrorCode.BadVersion, (await Reap("/t")).Error); // not expired (yet)
        Assert.Equal(ErrorCode.NoNode, (await Reap("/missing")).Error);
        Assert.Equal(ErrorCode.BadArguments, (await Reap("/")).Error);

        await DeleteAsync("/c/kid");
        var reaped = await Reap("/c");
        Assert.Equal(ErrorCode.Ok, reaped.Error);
        Assert.False(await ExistsAsync("/c"));
        _clock.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(ErrorCode.Ok, (await Reap("/t")).Error);
        Assert.True(await ExistsAsync("/plain"));
    }

    [Fact]
    public async Task Node_kinds_survive_a_restart()
    {
        await RestartAsync(checkIntervalMs: 3_600_000);
        Assert.Equal(ErrorCode.Ok, (await CreateAsync("/c", CreateMode.Persistent, asContainer: true)).Error);
        await UseOnceAsync("/c");
        Assert.Equal(ErrorCode.Ok, (await CreateAsync("/t", CreateMode.PersistentWithTtl, 60_000)).Error);
        Assert.Equal(ErrorCode.Ok, (await CreateAsync("/plain")).Error);
        await UseOnceAsync("/plain");
        _clock.Advance(TimeSpan.FromMinutes(2));

        // Without extended types a TTL node is not one (as 3.8.0): the container goes, the TTL node stays.
        await RestartAsync(checkIntervalMs: 50, extendedTypes: false);
        Assert.True(await ReapedAsync("/c"));
        await Task.Delay(300);
        Assert.True(await ExistsAsync("/t"));

        await RestartAsync(checkIntervalMs: 50);
        Assert.True(await ReapedAsync("/t"));
        Assert.True(await ExistsAsync("/plain"));
    }

    [Fact]
    public async Task Candidates_and_rate_limit_follow_ContainerManager()
    {
        var clock = new FrozenClock(DateTimeOffset.UtcNow);
        var index = new FixedIndex();
        var storage = new NodesOnly();
        long now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        void Add(string path, long owner, int childCounter, int children, long ageMs)
        {
            storage.Nodes[path] = new SystemNode(path, new Stat(1, 1, now - ageMs, now - ageMs, 0, childCounter, 0, owner, 0, children, 1), Acl.OpenAclUnsafe);
            index.Paths.Add(path);
        }
        long Ttl(long ms) => unchecked((long)0xFF00000000000000UL) | ms;
        Add("/used", long.MinValue, 1, 0, 0);
        Add("/never", long.MinValue, 0, 0, 10_000);
        Add("/full", long.MinValue, 3, 1, 10_000);
        Add("/ttl-expired", Ttl(1000), 0, 0, 1001);
        Add("/ttl-exactly", Ttl(1000), 0, 0, 1000);
        Add("/ttl-parent", Ttl(1000), 1, 1, 5000);
        Add("/gone", long.MinValue, 1, 0, 0);
        storage.Nodes.Remove("/gone");

        var submitted = new List<string>();
        Task<WriteResult> Submit(WriteOperation op, CancellationToken ct)
        {
            submitted.Add(((DeleteContainerOperation)op).Path);
            return Task.FromResult(new WriteResult(ErrorCode.Ok, 1));
        }
        // Options are init-only: each setting gets a reaper of its own over the same storage and clock.
        ReaperFunction Reaper(BackendOptions options) => new(storage, index, Submit, clock, options);
        Assert.Equal(["/ttl-expired", "/used"], await Reaper(new BackendOptions { ExtendedTypesEnabled = true }).CandidatesAsync(CancellationToken.None));

        Assert.Equal(["/never", "/ttl-expired", "/used"], await Reaper(new BackendOptions { ExtendedTypesEnabled = true, ContainerMaxNeverUsedIntervalMs = 9_999 }).CandidatesAsync(CancellationToken.None));
        Assert.Equal(["/never", "/used"], await Reaper(new BackendOptions { ContainerMaxNeverUsedIntervalMs = 9_999 }).CandidatesAsync(CancellationToken.None));

        // 600 a minute: at least 100 ms from one deletion to the next (a lower bound only).
        var reaper = Reaper(new BackendOptions { ContainerMaxNeverUsedIntervalMs = 9_999, ContainerMaxPerMinute = 600 });
        var watch = Stopwatch.StartNew();
        Assert.Equal(2, await reaper.CheckAsync(CancellationToken.None));
        Assert.True(watch.ElapsedMilliseconds >= 190, $"two deletions took {watch.ElapsedMilliseconds} ms");
        Assert.Equal(["/never", "/used"], submitted);
    }

    private sealed class FixedIndex : INodeTypeIndex
    {
        public List<string> Paths { get; } = [];

        public ValueTask<IReadOnlyList<string>> ListContainersAndTtlNodesAsync(CancellationToken cancellationToken = default) =>
            ValueTask.FromResult<IReadOnlyList<string>>([.. Paths]);
    }

    /// <summary>System storage that only answers node reads: all the reaper's scan needs.</summary>
    private sealed class NodesOnly : UnsupportedSystemStorage
    {
        public Dictionary<string, SystemNode> Nodes { get; } = [];

        public override ValueTask<SystemNode?> GetNodeAsync(string path, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(Nodes.GetValueOrDefault(path));
    }
}
