namespace ZkGateway.Backend.Primitives;

/// <summary>
/// The kinds of watch ZooKeeper keeps per connection. Data and Exist live in the data table, Child in
/// the child table; addWatch's Persistent and PersistentRecursive are registered in both tables (as
/// ZooKeeper 3.8.0's DataTree.addWatch does).
/// </summary>
public enum WatchKind
{
    /// <summary>getData, or exists on an existing node (one-shot, data table).</summary>
    Data,

    /// <summary>exists on a missing node (fires on create; one-shot, data table).</summary>
    Exist,

    /// <summary>getChildren (one-shot, child table).</summary>
    Child,

    /// <summary>addWatch mode 0: data and child events on the path, never removed by a trigger.</summary>
    Persistent,

    /// <summary>addWatch mode 1: created, deleted and data-changed events on the path and every descendant (never children-changed).</summary>
    PersistentRecursive,
}

/// <summary>
/// Watch registrations, modelled on ZooKeeper 3.8.0's two WatchManagers (data table and child table):
/// per table, path → watcher → mode. A registration replaces the mode the watcher had on that path in
/// that table, so a one-shot watch set on a path with a persistent one turns it one-shot (3.8.0 does
/// the same). Triggers fetch-and-clear one-shot watches and keep persistent ones.
/// </summary>
public interface IWatchStorage
{
    /// <summary>
    /// Registers a watch. <paramref name="observedZxid"/> is the zxid of the state the registering read
    /// saw (the node's mzxid for a data watch, pzxid for a child watch, 0 when unknown): triggers at or
    /// below it are not delivered to this entry.
    /// </summary>
    void Register(string path, WatchKind kind, long watcher, long observedZxid = 0);

    /// <summary>
    /// Fires a trigger (DataTree's): NodeCreated and NodeDataChanged use the data table,
    /// NodeChildrenChanged the child table, NodeDeleted both. Returns each watcher at most once: those
    /// on <paramref name="path"/> (one-shot ones are removed) and the recursive ones on its ancestors
    /// (recursive watches never see NodeChildrenChanged).
    /// </summary>
    IReadOnlyCollection<long> FetchAndClear(string path, ZkGateway.Jute.Protocol.EventType trigger, long eventZxid = long.MaxValue);

    /// <summary>
    /// A gateway's own check before it answers a read from cloud storage (watch event before data):
    /// takes the one-shot watches on exactly <paramref name="path"/> in <paramref name="table"/> (Data
    /// or Children) whose registration zxid the read shows to be out of date, so the caller delivers
    /// their events now; the late trigger from the inbox then finds nothing to do.
    /// </summary>
    IReadOnlyList<(long Watcher, long RegisteredAt)> TakeStale(string path, ZkGateway.Jute.Protocol.WatcherType table, Func<long, bool> isStale);

    /// <summary>
    /// checkWatches as 3.8.0 answers it: whether the table(s) of <paramref name="type"/> (Children,
    /// Data or Any) hold <b>any</b> watcher on exactly <paramref name="path"/> — 3.8.0's
    /// WatchManager.containsWatcher does not look at which connection holds it.
    /// </summary>
    bool Contains(string path, ZkGateway.Jute.Protocol.WatcherType type);

    /// <summary>removeWatches: removes the watcher's entry on <paramref name="path"/> from the table(s) of <paramref name="type"/>; false if there was none.</summary>
    bool Remove(string path, ZkGateway.Jute.Protocol.WatcherType type, long watcher);

    void RemoveWatcher(long watcher);

    (int Watches, int Paths) Counts();

    /// <summary>No watch at all (a gateway's check before waiting for its inbox: a pending trigger could fire nothing).</summary>
    bool IsEmpty => Counts().Watches == 0;

    /// <summary>
    /// Every watcher's watched paths, both tables merged and sorted (wchc, wchp and the AdminServer's
    /// watches commands); empty for a registry that cannot list itself.
    /// </summary>
    IReadOnlyDictionary<long, IReadOnlyList<string>> PathsByWatcher() => new Dictionary<long, IReadOnlyList<string>>();
}
