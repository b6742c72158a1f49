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
    /// <paramref name="read"/> runs atomically with respect to <see cref="ApplyAsync"/>: no transaction is
    /// half-applied, and a watch registered inside it sees every later transaction.
    /// </summary>
    ValueTask<T> ReadAsync<T>(string path, Func<UserNode?, long, T> read, CancellationToken cancellationToken = default);

    /// <summary>Counts every descendant of a node (getAllChildrenNumber); -1 if it does not exist.</summary>
    ValueTask<int> CountDescendantsAsync(string path, CancellationToken cancellationToken = default);

    /// <summary>
    /// Applies transactions in zxid order. <paramref name="onApplied"/> runs for each, inside the same
    /// atomic step as its changes (the distributor fires watches there), before the next.
    /// </summary>
    ValueTask ApplyAsync(IReadOnlyList<Txn> txns, Action<Txn> onApplied, CancellationToken cancellationToken = default);

    int NodeCount { get; }

    long ApproximateDataSize { get; }
}

/// <summary>The kinds of one-shot watch ZooKeeper keeps per connection.</summary>
public enum WatchKind
{
    /// <summary>getData, or exists on an existing node.</summary>
    Data,

    /// <summary>exists on a missing node (fires on create).</summary>
    Exist,

    /// <summary>getChildren.</summary>
    Child,
}

/// <summary>Watch registrations with atomic fetch-and-clear (one-shot watches).</summary>
public interface IWatchStorage
{
    void Register(string path, WatchKind kind, long watcher);

    /// <summary>Removes and returns the watchers of <paramref name="path"/> of the given kinds.</summary>
    IReadOnlyCollection<long> FetchAndClear(string path, ReadOnlySpan<WatchKind> kinds);

    void RemoveWatcher(long watcher);

    (int Watches, int Paths) Counts();
}
