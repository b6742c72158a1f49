using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using ZkGateway.Backend.Primitives;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.Backend.Watches;

/// <summary>
/// Watch registrations in process memory, as ZooKeeper 3.8.0 keeps them: a data table and a child
/// table, each path → watcher → mode, plus a reverse index per watcher. In the embedded deployment it
/// is the deployment's only registry; with the AWS provider set every gateway keeps one for its own
/// connections (the distributor only learns which gateways care about a path).
/// <para>
/// Each entry remembers the zxid of the state its registering read observed. A trigger older than
/// or equal to it is not for this entry: the client has already seen that change. Embedded triggers
/// are always newer (registration and apply are atomic); a gateway reading cloud storage directly can
/// get a trigger that its read already reflected.
/// </para>
/// </summary>
public sealed partial class InMemoryWatchStorage : IWatchStorage
{
    private enum Mode
    {
        Standard,
        Persistent,
        Recursive,
    }

    private sealed class Table
    {
        public readonly Dictionary<string, PathWatchers> ByPath = [];
        public readonly Dictionary<long, HashSet<string>> ByWatcher = [];

        public void Add(string path, long watcher, Mode mode, long zxid)
        {
            ref var watchers = ref CollectionsMarshal.GetValueRefOrAddDefault(ByPath, path, out bool exists);
            if (exists)
            {
                watchers.Set(watcher, mode, zxid);
            }
            else
            {
                watchers = PathWatchers.Of(watcher, mode, zxid);
            }
            if (!ByWatcher.TryGetValue(watcher, out var paths))
            {
                ByWatcher[watcher] = paths = [];
            }
            paths.Add(path);
        }

        public bool Remove(string path, long watcher)
        {
            ref var watchers = ref CollectionsMarshal.GetValueRefOrNullRef(ByPath, path);
            if (Unsafe.IsNullRef(ref watchers) || !watchers.Remove(watcher))
            {
                return false;
            }
            if (watchers.Count == 0)
            {
                ByPath.Remove(path);
            }
            if (ByWatcher.TryGetValue(watcher, out var paths))
            {
                paths.Remove(path);
                if (paths.Count == 0)
                {
                    ByWatcher.Remove(watcher);
                }
            }
            return true;
        }

        public void RemoveWatcher(long watcher)
        {
            if (!ByWatcher.Remove(watcher, out var paths))
            {
                return;
            }
            foreach (string path in paths)
            {
                ref var watchers = ref CollectionsMarshal.GetValueRefOrNullRef(ByPath, path);
                if (!Unsafe.IsNullRef(ref watchers) && watchers.Remove(watcher) && watchers.Count == 0)
                {
                    ByPath.Remove(path);
                }
            }
        }

        /// <summary>WatchManager.triggerWatch: the path's watchers (one-shot ones removed), then recursive ones on every ancestor.</summary>
        public void Trigger(string path, EventType type, long eventZxid, HashSet<long> result)
        {
            List<long>? fired = null;
            string? current = path;
            bool atPath = true;
            while (current is not null)
            {
                if (ByPath.TryGetValue(current, out var watchers))
                {
                    foreach (var (watcher, (mode, registeredAt)) in watchers)
                    {
                        if (registeredAt >= eventZxid)
                        {
                            continue;
                        }
                        if (mode == Mode.Recursive)
                        {
                            if (type != EventType.NodeChildrenChanged)
                            {
                                result.Add(watcher);
                            }
                        }
                        else if (atPath)
                        {
                            result.Add(watcher);
                            if (mode == Mode.Standard)
                            {
                                (fired ??= []).Add(watcher);
                            }
                        }
                    }
                }
                atPath = false;
                current = Parent(current);
            }
            if (fired is not null)
            {
                foreach (long watcher in fired)
                {
                    Remove(path, watcher);
                }
            }
        }

        private static string? Parent(string path)
        {
            if (path.Length <= 1)
            {
                return null;
            }
            int slash = path.LastIndexOf('/');
            return slash <= 0 ? (slash == 0 ? "/" : null) : path[..slash];
        }
    }

    private readonly Lock _lock = new();
    private readonly Table _data = new();
    private readonly Table _child = new();

    public void Register(string path, WatchKind kind, long watcher, long observedZxid = 0)
    {
        lock (_lock)
        {
            switch (kind)
            {
                case WatchKind.Data:
                case WatchKind.Exist:
                    _data.Add(path, watcher, Mode.Standard, observedZxid);
                    break;
                case WatchKind.Child:
                    _child.Add(path, watcher, Mode.Standard, observedZxid);
                    break;
                case WatchKind.Persistent:
                    _data.Add(path, watcher, Mode.Persistent, observedZxid);
                    _child.Add(path, watcher, Mode.Persistent, observedZxid);
                    break;
                case WatchKind.PersistentRecursive:
                    // 3.8.0 registers a recursive watch in both tables; the child table's copy only
                    // matters for NodeDeleted (recursive watches never see NodeChildrenChanged).
                    _data.Add(path, watcher, Mode.Recursive, observedZxid);
                    _child.Add(path, watcher, Mode.Recursive, observedZxid);
                    break;
                default:
                    throw new ArgumentOutOfRangeException(nameof(kind), kind, null);
            }
        }
    }

    public IReadOnlyCollection<long> FetchAndClear(string path, EventType trigger, long eventZxid = long.MaxValue)
    {
        var result = new HashSet<long>();
        lock (_lock)
        {
            if (trigger != EventType.NodeChildrenChanged)
            {
                _data.Trigger(path, trigger, eventZxid, result);
            }
            if (trigger is EventType.NodeChildrenChanged or EventType.NodeDeleted)
            {
                _child.Trigger(path, trigger, eventZxid, result);
            }
        }
        return result;
    }

    public IReadOnlyList<(long Watcher, long RegisteredAt)> TakeStale(string path, WatcherType table, Func<long, bool> isStale)
    {
        var t = table == WatcherType.Children ? _child : _data;
        List<(long, long)>? taken = null;
        lock (_lock)
        {
            if (!t.ByPath.TryGetValue(path, out var watchers))
            {
                return [];
            }
            foreach (var (watcher, (mode, registeredAt)) in watchers)
            {
                if (mode == Mode.Standard && isStale(registeredAt))
                {
                    (taken ??= []).Add((watcher, registeredAt));
                }
            }
            foreach (var (watcher, _) in taken ?? [])
            {
                t.Remove(path, watcher);
            }
        }
        return taken ?? [];
    }

    public bool Contains(string path, WatcherType type)
    {
        lock (_lock)
        {
            return type switch
            {
                WatcherType.Children => _child.ByPath.ContainsKey(path),
                WatcherType.Data => _data.ByPath.ContainsKey(path),
                WatcherType.Any => _child.ByPath.ContainsKey(path) || _data.ByPath.ContainsKey(path),
                _ => false,
            };
        }
    }

    public bool Remove(string path, WatcherType type, long watcher)
    {
        lock (_lock)
        {
            switch (type)
            {
                case WatcherType.Children:
                    return _child.Remove(path, watcher);
                case WatcherType.Data:
                    return _data.Remove(path, watcher);
                case WatcherType.Any:
                    bool child = _child.Remove(path, watcher);
                    bool data = _data.Remove(path, watcher);
                    return child || data;
                default:
                    return false;
            }
        }
    }

    public void RemoveWatcher(long watcher)
    {
        lock (_lock)
        {
            _data.RemoveWatcher(watcher);
            _child.RemoveWatcher(watcher);
        }
    }

    public bool IsEmpty
    {
        get
        {
            lock (_lock)
            {
                // Tables drop a path with its last watcher.
                return _data.ByPath.Count == 0 && _child.ByPath.Count == 0;
            }
        }
    }

    public (int Watches, int Paths) Counts()
    {
        lock (_lock)
        {
            int watches = 0;
            var paths = new HashSet<string>();
            foreach (var table in new[] { _data, _child })
            {
                foreach (var (path, watchers) in table.ByPath)
                {
                    watches += watchers.Count;
                    paths.Add(path);
                }
            }
            return (watches, paths.Count);
        }
    }

    public IReadOnlyDictionary<long, IReadOnlyList<string>> PathsByWatcher()
    {
        lock (_lock)
        {
            return _data.ByWatcher.Keys.Union(_child.ByWatcher.Keys).ToDictionary(
                w => w,
                w => (IReadOnlyList<string>)[.. (_data.ByWatcher.GetValueOrDefault(w) ?? []).Union(_child.ByWatcher.GetValueOrDefault(w) ?? []).Order(StringComparer.Ordinal)]);
        }
    }
}
