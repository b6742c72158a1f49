using System.Collections.Concurrent;
using ZkGateway.Backend;
using ZkGateway.Jute.Data;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.Gateway.Tests.Support;

/// <summary>
/// An in-memory <see cref="IZkBackend"/> for unit tests of the gateway's front end: flat nodes
/// (no ACLs, no ephemerals, no sequence numbers), one-shot data and child watches, and sessions with
/// passwords. What it adds is control: writes and reads can be held and released in any order, a
/// read can be made to fault, and every call is recorded in the order it reached the backend.
/// The reference semantics are the real backend's (tests/Backend.Tests); this only has to be plain.
/// </summary>
internal sealed class FakeBackend : IZkBackend
{
    private readonly Lock _lock = new();
    private readonly INotificationSink _sink;
    private readonly Dictionary<string, NodeData> _nodes = new(StringComparer.Ordinal);
    private readonly Dictionary<long, byte[]> _sessions = [];
    private readonly Dictionary<string, HashSet<long>> _dataWatches = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<long>> _childWatches = new(StringComparer.Ordinal);
    private readonly List<Held> _held = [];
    private long _zxid = 0x1_0000_0000;
    private long _nextSession = 0x100;

    public FakeBackend(INotificationSink sink) => _sink = sink;

    /// <summary>Calls in the order they reached the backend: "getData /a", "submit setData /a", ….</summary>
    public ConcurrentQueue<string> Calls { get; } = new();

    /// <summary>Writes wait for <see cref="ReleaseAsync"/> instead of being applied at once.</summary>
    public bool HoldWrites { get; set; }

    /// <summary>Reads wait for <see cref="ReleaseAsync"/> instead of being answered at once.</summary>
    public bool HoldReads { get; set; }

    /// <summary>When set, getData faults with it (asynchronously, as a storage call would).</summary>
    public Exception? GetDataFault { get; set; }

    public long LastZxid => Volatile.Read(ref _zxid);

    public ValueTask<long> GetLastZxidAsync(CancellationToken cancellationToken = default) => ValueTask.FromResult(LastZxid);

    public long LastAppliedZxid => Volatile.Read(ref _zxid);

    /// <summary>Waits until <paramref name="count"/> calls are held, then releases the one at <paramref name="index"/> (in arrival order).</summary>
    public async Task ReleaseAsync(int index, int count)
    {
        Held held;
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            lock (_lock)
            {
                if (_held.Count >= count)
                {
                    held = _held[index];
                    _held[index] = Held.Released;
                    break;
                }
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{count} held calls expected; calls so far: {string.Join(", ", Calls)}");
            }
            await Task.Delay(5);
        }
        held.Release();
    }

    /// <summary>Creates a node directly, as if an earlier session had.</summary>
    public void Seed(string path, byte[] data)
    {
        lock (_lock)
        {
            long zxid = ++_zxid;
            _nodes[path] = new NodeData(data, NewStat(zxid, data.Length));
        }
    }

    // ---- sessions ----------------------------------------------------------------------------

    public ValueTask<SessionGrant> CreateSessionAsync(int timeoutMs, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            long id = ++_nextSession;
            var password = Enumerable.Repeat((byte)id, 16).ToArray();
            _sessions[id] = password;
            return new(new SessionGrant(id, password, timeoutMs, ++_zxid));
        }
    }

    public ValueTask<bool> TryResumeSessionAsync(long sessionId, ReadOnlyMemory<byte> password, int timeoutMs, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return new(_sessions.TryGetValue(sessionId, out var expected) && password.Span.SequenceEqual(expected));
        }
    }

    public Task<WriteResult> CloseSessionAsync(long sessionId, CancellationToken cancellationToken = default)
    {
        Calls.Enqueue("closeSession");
        lock (_lock)
        {
            _sessions.Remove(sessionId);
            return Task.FromResult(new WriteResult(ErrorCode.Ok, ++_zxid));
        }
    }

    public void TouchSession(long sessionId)
    {
    }

    public bool IsSessionLive(long sessionId)
    {
        lock (_lock)
        {
            return _sessions.ContainsKey(sessionId);
        }
    }

    // ---- writes ------------------------------------------------------------------------------

    public Task<WriteResult> SubmitAsync(long sessionId, WriteOperation operation, CallerIdentity? caller = null, CancellationToken cancellationToken = default)
    {
        Calls.Enqueue("submit " + Describe(operation));
        if (!HoldWrites)
        {
            return Task.FromResult(Apply(operation));
        }
        var completion = new TaskCompletionSource<WriteResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        Hold(() => completion.SetResult(Apply(operation)));
        return completion.Task;
    }

    /// <summary>Applies a write: a zxid, the change, its watch events (before the reply, as the real backend does).</summary>
    private WriteResult Apply(WriteOperation operation)
    {
        var events = new List<(long Watcher, WatchEvent Event)>();
        WriteResult result;
        lock (_lock)
        {
            long zxid = ++_zxid;
            result = operation switch
            {
                CreateOperation c when _nodes.ContainsKey(c.Path) => new WriteResult(ErrorCode.NodeExists, zxid),
                CreateOperation c => Create(c, zxid, events),
                SetDataOperation s when !_nodes.TryGetValue(s.Path, out _) => new WriteResult(ErrorCode.NoNode, zxid),
                SetDataOperation s => SetData(s, zxid, events),
                DeleteOperation d when !_nodes.ContainsKey(d.Path) => new WriteResult(ErrorCode.NoNode, zxid),
                DeleteOperation d => Delete(d, zxid, events),
                CheckOperation c when !_nodes.ContainsKey(c.Path) => new WriteResult(ErrorCode.NoNode, zxid),
                InvalidOperation invalid => new WriteResult(invalid.Error, zxid),
                _ => new WriteResult(ErrorCode.Ok, zxid, new OpResult(ErrorCode.Ok)),
            };
        }
        foreach (var (watcher, watchEvent) in events)
        {
            _sink.Deliver(watcher, watchEvent);
        }
        return result;
    }

    private WriteResult Create(CreateOperation create, long zxid, List<(long, WatchEvent)> events)
    {
        var stat = NewStat(zxid, create.Data?.Length ?? 0);
        _nodes[create.Path] = new NodeData(create.Data, stat);
        var result = new WriteResult(ErrorCode.Ok, zxid, new OpResult(ErrorCode.Ok, create.Path, stat));
        Fired(result, events, EventType.NodeCreated, create.Path, zxid, _dataWatches);
        return Fired(result, events, EventType.NodeChildrenChanged, Parent(create.Path), zxid, _childWatches);
    }

    private WriteResult SetData(SetDataOperation set, long zxid, List<(long, WatchEvent)> events)
    {
        var node = _nodes[set.Path];
        var stat = node.Stat with { Mzxid = zxid, Version = node.Stat.Version + 1, DataLength = set.Data?.Length ?? 0 };
        _nodes[set.Path] = new NodeData(set.Data, stat);
        return Fired(new WriteResult(ErrorCode.Ok, zxid, new OpResult(ErrorCode.Ok, set.Path, stat)), events, EventType.NodeDataChanged, set.Path, zxid, _dataWatches);
    }

    private WriteResult Delete(DeleteOperation delete, long zxid, List<(long, WatchEvent)> events)
    {
        _nodes.Remove(delete.Path);
        var result = new WriteResult(ErrorCode.Ok, zxid, new OpResult(ErrorCode.Ok));
        Fired(result, events, EventType.NodeDeleted, delete.Path, zxid, _dataWatches);
        return Fired(result, events, EventType.NodeChildrenChanged, Parent(delete.Path), zxid, _childWatches);
    }

    private static WriteResult Fired(WriteResult result, List<(long, WatchEvent)> events, EventType type, string path, long zxid, Dictionary<string, HashSet<long>> table)
    {
        if (table.Remove(path, out var watchers))
        {
            events.AddRange(watchers.Select(w => (w, new WatchEvent(type, path, zxid))));
        }
        return result;
    }

    // ---- reads -------------------------------------------------------------------------------

    public ValueTask<ReadResult<NodeData>> GetDataAsync(string path, long? watcher, CallerIdentity? caller = null, CancellationToken cancellationToken = default)
    {
        Calls.Enqueue("getData " + path);
        if (GetDataFault is { } fault)
        {
            return ValueTask.FromException<ReadResult<NodeData>>(fault);
        }
        return Answer(() =>
        {
            if (!_nodes.TryGetValue(path, out var node))
            {
                return ReadResult<NodeData>.Fail(ErrorCode.NoNode, _zxid);
            }
            Watch(_dataWatches, path, watcher);
            return ReadResult<NodeData>.Ok(node, _zxid);
        });
    }

    public ValueTask<ReadResult<Stat>> ExistsAsync(string path, long? watcher, CallerIdentity? caller = null, CancellationToken cancellationToken = default)
    {
        Calls.Enqueue("exists " + path);
        return Answer(() =>
        {
            Watch(_dataWatches, path, watcher);
            return _nodes.TryGetValue(path, out var node) ? ReadResult<Stat>.Ok(node.Stat, _zxid) : ReadResult<Stat>.Fail(ErrorCode.NoNode, _zxid);
        });
    }

    public ValueTask<ReadResult<ChildList>> GetChildrenAsync(string path, long? watcher, CallerIdentity? caller = null, CancellationToken cancellationToken = default)
    {
        Calls.Enqueue("getChildren " + path);
        return Answer(() =>
        {
            if (!_nodes.TryGetValue(path, out var node))
            {
                return ReadResult<ChildList>.Fail(ErrorCode.NoNode, _zxid);
            }
            Watch(_childWatches, path, watcher);
            var children = _nodes.Keys.Where(p => p != path && Parent(p) == path).Select(p => p[(p.LastIndexOf('/') + 1)..]).Order(StringComparer.Ordinal).ToList();
            return ReadResult<ChildList>.Ok(new ChildList(children, node.Stat), _zxid);
        });
    }

    /// <summary>Runs a read under the lock now, or when released if reads are held.</summary>
    private ValueTask<T> Answer<T>(Func<T> read)
    {
        if (!HoldReads)
        {
            lock (_lock)
            {
                return new(read());
            }
        }
        var completion = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        Hold(() =>
        {
            T value;
            lock (_lock)
            {
                value = read();
            }
            completion.SetResult(value);
        });
        return new(completion.Task);
    }

    public ValueTask<ReadResult<NodeAcl>> GetAclAsync(string path, CallerIdentity? caller = null, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException();

    public ValueTask<ReadResult<int>> GetAllChildrenNumberAsync(string path, CallerIdentity? caller = null, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException();

    public ValueTask<ReadResult<IReadOnlyList<string>>> GetEphemeralsAsync(long sessionId, string prefix, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException();

    // ---- watches -----------------------------------------------------------------------------

    public ValueTask SetWatchesAsync(long watcher, long relativeZxid, IReadOnlyList<string> dataWatches, IReadOnlyList<string> existWatches, IReadOnlyList<string> childWatches, IReadOnlyList<string>? persistentWatches = null, IReadOnlyList<string>? persistentRecursiveWatches = null, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException();

    public ValueTask<long> AddWatchAsync(string path, AddWatchMode mode, long watcher, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException();

    public bool CheckWatches(string path, WatcherType type) => false;

    public bool RemoveWatches(string path, WatcherType type, long watcher) => false;

    public void RemoveWatcher(long watcher)
    {
        Calls.Enqueue("removeWatcher");
        lock (_lock)
        {
            foreach (var watchers in _dataWatches.Values.Concat(_childWatches.Values))
            {
                watchers.Remove(watcher);
            }
        }
    }

    public (int Watches, int Paths) WatchCounts()
    {
        lock (_lock)
        {
            return (_dataWatches.Values.Sum(w => w.Count) + _childWatches.Values.Sum(w => w.Count), _dataWatches.Count + _childWatches.Count);
        }
    }

    public ValueTask<BackendStatistics> GetStatisticsAsync(CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return new(new BackendStatistics(_nodes.Count, 0, 0, _sessions.Count));
        }
    }

    public ValueTask DisposeAsync() => default;

    private void Hold(Action release)
    {
        lock (_lock)
        {
            _held.Add(new Held(release));
        }
    }

    private static void Watch(Dictionary<string, HashSet<long>> table, string path, long? watcher)
    {
        if (watcher is { } id)
        {
            if (!table.TryGetValue(path, out var watchers))
            {
                table[path] = watchers = [];
            }
            watchers.Add(id);
        }
    }

    private static Stat NewStat(long zxid, int dataLength) =>
        new(zxid, zxid, 1_700_000_000_000, 1_700_000_000_000, 0, 0, 0, 0, dataLength, 0, zxid);

    private static string Parent(string path) => path.LastIndexOf('/') is > 0 and var i ? path[..i] : "/";

    private static string Describe(WriteOperation operation) => operation switch
    {
        CreateOperation c => "create " + c.Path,
        SetDataOperation s => "setData " + s.Path,
        DeleteOperation d => "delete " + d.Path,
        _ => operation.GetType().Name,
    };

    private sealed class Held(Action release)
    {
        public static readonly Held Released = new(static () => throw new InvalidOperationException("released twice"));

        public void Release() => release();
    }
}
