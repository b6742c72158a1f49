using ZkGateway.Backend.Primitives;

namespace ZkGateway.Backend.Embedded;

/// <summary>Watch registrations in process memory: path → kind → watchers, plus a reverse index per watcher.</summary>
public sealed class InMemoryWatchStorage : IWatchStorage
{
    private readonly Lock _lock = new();
    private readonly Dictionary<(string Path, WatchKind Kind), HashSet<long>> _byPath = [];
    private readonly Dictionary<long, HashSet<(string Path, WatchKind Kind)>> _byWatcher = [];

    public void Register(string path, WatchKind kind, long watcher)
    {
        lock (_lock)
        {
            var key = (path, kind);
            if (!_byPath.TryGetValue(key, out var set))
            {
                _byPath[key] = set = [];
            }
            set.Add(watcher);
            if (!_byWatcher.TryGetValue(watcher, out var keys))
            {
                _byWatcher[watcher] = keys = [];
            }
            keys.Add(key);
        }
    }

    public IReadOnlyCollection<long> FetchAndClear(string path, ReadOnlySpan<WatchKind> kinds)
    {
        lock (_lock)
        {
            HashSet<long>? result = null;
            foreach (var kind in kinds)
            {
                var key = (path, kind);
                if (_byPath.Remove(key, out var set))
                {
                    foreach (long watcher in set)
                    {
                        if (_byWatcher.TryGetValue(watcher, out var keys))
                        {
                            keys.Remove(key);
                            if (keys.Count == 0)
                            {
                                _byWatcher.Remove(watcher);
                            }
                        }
                    }
                    if (result is null)
                    {
                        result = set;
                    }
                    else
                    {
                        result.UnionWith(set);
                    }
                }
            }
            return (IReadOnlyCollection<long>?)result ?? [];
        }
    }

    public void RemoveWatcher(long watcher)
    {
        lock (_lock)
        {
            if (!_byWatcher.Remove(watcher, out var keys))
            {
                return;
            }
            foreach (var key in keys)
            {
                if (_byPath.TryGetValue(key, out var set))
                {
                    set.Remove(watcher);
                    if (set.Count == 0)
                    {
                        _byPath.Remove(key);
                    }
                }
            }
        }
    }

    public (int Watches, int Paths) Counts()
    {
        lock (_lock)
        {
            int watches = 0;
            var paths = new HashSet<string>();
            foreach (var (key, set) in _byPath)
            {
                watches += set.Count;
                paths.Add(key.Path);
            }
            return (watches, paths.Count);
        }
    }
}
