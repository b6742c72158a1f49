namespace ZkGateway.Backend.Primitives;

/// <summary>
/// Node data, Stat and children, written only by the distributor and read directly by gateways
/// (S3 objects or DynamoDB items on AWS).
/// </summary>
public interface IUserStorage
{
    /// <summary>The zxid of the last applied transaction.</summary>
    long AppliedZxid { get; }

    /// <summary>
    /// Reads a node and hands it (or null) to <paramref name="read"/>. The provider guarantees that
    /// <paramref name="read"/> runs atomically with respect to <see cref="ApplyAsync(IReadOnlyList{Txn}, Action{Txn}, CancellationToken)"/>: no transaction is
    /// half-applied, and a watch registered inside it sees every later transaction.
    /// </summary>
    ValueTask<T> ReadAsync<T>(string path, Func<UserNode?, long, T> read, CancellationToken cancellationToken = default);

    /// <summary>
    /// <see cref="ReadAsync{T}(string, Func{UserNode?, long, T}, CancellationToken)"/> with a state for
    /// the callback, so that a hot read can pass a static lambda instead of allocating a closure. The
    /// default wraps the callback; the embedded store implements it without allocating.
    /// </summary>
    ValueTask<T> ReadAsync<TState, T>(string path, TState state, Func<UserNode?, long, TState, T> read, CancellationToken cancellationToken = default) =>
        ReadAsync(path, (node, zxid) => read(node, zxid, state), cancellationToken);

    /// <summary>Counts every descendant of a node (getAllChildrenNumber); -1 if it does not exist.</summary>
    ValueTask<int> CountDescendantsAsync(string path, CancellationToken cancellationToken = default);

    /// <summary>
    /// Applies transactions in zxid order. <paramref name="onApplied"/> runs for each, inside the same
    /// atomic step as its changes (the distributor fires watches there), before the next.
    /// </summary>
    ValueTask ApplyAsync(IReadOnlyList<Txn> txns, Action<Txn> onApplied, CancellationToken cancellationToken = default);

    /// <summary>
    /// <see cref="ApplyAsync(IReadOnlyList{Txn}, Action{Txn}, CancellationToken)"/>, writing
    /// <paramref name="epoch"/> on every node the batch writes (null: no stamp, and an older one is
    /// removed), so a gateway reading one of them first waits for the triggers it names. Returns the
    /// gateways that registered their first interest in a path after the batch read its interest
    /// generation (<see cref="EpochStamp.Generation"/>) and before its writes were complete, as the
    /// raise of the applied marker shows them: the stamps may not name them, and the distributor
    /// sends each a Mark. A store read only in-process, where triggers are delivered inside the apply
    /// step, has no use for either.
    /// </summary>
    async ValueTask<IReadOnlyCollection<string>> ApplyAsync(IReadOnlyList<Txn> txns, EpochStamp? epoch, Action<Txn> onApplied, CancellationToken cancellationToken = default)
    {
        await ApplyAsync(txns, onApplied, cancellationToken).ConfigureAwait(false);
        return [];
    }

    /// <summary>
    /// A zxid this process has learnt is applied (from its inbox): raises <see cref="AppliedZxid"/> where
    /// it is only this process's knowledge of remote storage. The embedded store knows exactly and ignores it.
    /// </summary>
    void ObserveZxid(long zxid)
    {
    }

    int NodeCount { get; }

    long ApproximateDataSize { get; }
}

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
}
