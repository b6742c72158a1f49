using ZkGateway.Backend.Embedded.Durability;
using ZkGateway.Backend.Primitives;

namespace ZkGateway.Backend.Embedded;

/// <summary>
/// A lazy recovery (docs/storage.md): sessions are restored at once, the nodes load in the
/// background. Everything that reads or writes nodes here waits for that load (writes, locks, the
/// ephemeral and reaper indexes); creating a session and setting its timeout do not, so a client can
/// connect and read (from the user storage) while it runs.
/// </summary>
public sealed partial class EmbeddedSystemStorage
{
    private readonly TaskCompletionSource _loaded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _pendingNodes;

    /// <summary>Completes when the nodes are in memory (at once without a lazy recovery).</summary>
    internal Task Loaded => _loaded.Task;

    /// <summary>
    /// The background load's end: the nodes of the snapshot with the tail's node writes applied, built
    /// off the lock and swapped in whole.
    /// </summary>
    internal void FinishLoad(IEnumerable<SystemNode> snapshotNodes, IReadOnlyList<StoreRecord> tail)
    {
        var tables = new NodeTables();
        foreach (var node in snapshotNodes)
        {
            tables.Put(node);
        }
        foreach (var record in tail)
        {
            if (record is CommitRecord commit)
            {
                foreach (var request in commit.Requests)
                {
                    tables.Apply(request);
                }
            }
        }
        lock (_lock)
        {
            _tables = tables;
        }
        _loaded.TrySetResult();
    }

    /// <summary>The load failed: what waits for the nodes fails too (reads keep being served from the snapshot).</summary>
    internal void FailLoad(Exception e) => _loaded.TrySetException(e);

    private async ValueTask<T> AfterLoadAsync<T>(Func<ValueTask<T>> then, CancellationToken cancellationToken)
    {
        await _loaded.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        return await then().ConfigureAwait(false);
    }
}
