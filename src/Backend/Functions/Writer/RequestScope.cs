using ZkGateway.Backend.Primitives;

namespace ZkGateway.Backend.Functions.Writer;

/// <summary>
/// The state one request sees and stages: its own uncommitted writes over the batch's (the batch
/// overlay), over committed state read under its locks. Also what the request does to sessions.
/// </summary>
internal sealed class RequestScope(RequestLocks locks, Dictionary<string, SystemNode?> batchOverlay, IReadOnlySet<long> closedInBatch)
{
    private readonly Dictionary<string, SystemNode?> _local = new(StringComparer.Ordinal);

    public RequestLocks Locks => locks;

    /// <summary>The writes merged into the batch (<see cref="MergeIntoBatch"/>): this request's commit items.</summary>
    public List<SystemNodeWrite> Writes { get; } = [];

    /// <summary>The session this request makes durable (createSession), or null.</summary>
    public SessionRecord? CreatedSession { get; set; }

    /// <summary>The session this request ends (closeSession, or the last part of a split one), or 0.</summary>
    public long ClosedSession { get; set; }

    /// <summary>Whether an earlier request of this batch closed the session.</summary>
    public bool ClosedEarlierInBatch(long sessionId) => closedInBatch.Contains(sessionId);

    public async ValueTask<SystemNode?> GetAsync(string path, CancellationToken ct)
    {
        if (_local.TryGetValue(path, out var local))
        {
            return local;
        }
        // Locked even when the batch has staged the path: this request's commit depends on it too.
        var committed = await locks.LockAndReadAsync(path, ct).ConfigureAwait(false);
        return batchOverlay.TryGetValue(path, out var staged) ? staged : committed;
    }

    public void Put(SystemNode node) => _local[node.Path] = node;

    public void Delete(string path) => _local[path] = null;

    public void DiscardWrites() => _local.Clear();

    /// <summary>The writes this request would commit, without merging them into the batch.</summary>
    public List<SystemNodeWrite> StagedWrites() => [.. _local.Select(kv => new SystemNodeWrite(kv.Key, kv.Value))];

    /// <summary>Makes this request's writes visible to the batch's later requests, and its commit items.</summary>
    public void MergeIntoBatch()
    {
        foreach (var (path, node) in _local)
        {
            batchOverlay[path] = node;
            Writes.Add(new SystemNodeWrite(path, node));
        }
    }
}
