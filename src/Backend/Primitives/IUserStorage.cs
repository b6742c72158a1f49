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

    /// <summary>
    /// Whether the store keeps zookeeper_stats current itself as it applies (the embedded one, as
    /// ZooKeeper's DataTree does); otherwise the distributor adds the stats writes to each batch.
    /// </summary>
    bool KeepsQuotaUsage => false;

    int NodeCount { get; }

    long ApproximateDataSize { get; }
}
