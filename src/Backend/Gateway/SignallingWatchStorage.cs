using ZkGateway.Backend.Primitives;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.Backend.Gateway;

/// <summary>
/// The gateway's watch registry as its reads and watch requests use it: every registration also wakes
/// the inbox loop (<see cref="InboxDemand"/>), since a trigger for it can come from now on.
/// </summary>
internal sealed class SignallingWatchStorage(IWatchStorage inner, InboxDemand demand) : IWatchStorage
{
    public void Register(string path, WatchKind kind, long watcher, long observedZxid = 0)
    {
        inner.Register(path, kind, watcher, observedZxid);
        demand.Signal();
    }

    public IReadOnlyCollection<long> FetchAndClear(string path, EventType trigger, long eventZxid = long.MaxValue) => inner.FetchAndClear(path, trigger, eventZxid);

    public IReadOnlyList<(long Watcher, long RegisteredAt)> TakeStale(string path, WatcherType table, Func<long, bool> isStale) => inner.TakeStale(path, table, isStale);

    public bool Contains(string path, WatcherType type) => inner.Contains(path, type);

    public bool Remove(string path, WatcherType type, long watcher) => inner.Remove(path, type, watcher);

    public void RemoveWatcher(long watcher) => inner.RemoveWatcher(watcher);

    public (int Watches, int Paths) Counts() => inner.Counts();

    public IReadOnlyDictionary<long, IReadOnlyList<string>> PathsByWatcher() => inner.PathsByWatcher();

    public bool IsEmpty => inner.IsEmpty;
}
