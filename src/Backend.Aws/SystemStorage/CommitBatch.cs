using ZkGateway.Backend.Primitives;

namespace ZkGateway.Backend.Aws;

/// <summary>
/// What the requests of one writer batch know of each other while they are committed in order, one
/// transaction each: which request releases a shared lock, the states earlier requests committed, and
/// what did not commit.
/// </summary>
internal sealed class CommitBatch
{
    private readonly IReadOnlyList<CommitRequest> _requests;

    /// <summary>
    /// Requests of a batch share the writer's token and may lock the same path (a parent, say). Only
    /// the last request holding a path releases it; earlier ones keep it for the later ones, whose
    /// condition would otherwise find the lock gone.
    /// </summary>
    private readonly Dictionary<string, int> _lastHolder = new(StringComparer.Ordinal);

    /// <summary>States committed by earlier requests of this batch (the previous state of later writes).</summary>
    private readonly Dictionary<string, SystemNode?> _staged = new(StringComparer.Ordinal);

    /// <summary>
    /// Paths of requests that did not commit. The writer validated later requests against the staged
    /// state of earlier ones, so a later request touching such a path may rest on a change that never
    /// happened: it fails too. (After a lost lock its own condition fails anyway; after a refusal for
    /// size the locks are still ours, so only this check stops it.)
    /// </summary>
    private readonly HashSet<string> _failed = new(StringComparer.Ordinal);

    /// <summary>
    /// Sessions whose split close lost a part: its later parts, and above all the last one (which
    /// deletes the session), must not commit, or the lost part's ephemerals would outlive it.
    /// </summary>
    private readonly HashSet<long> _failedCloses = [];

    public CommitBatch(IReadOnlyList<CommitRequest> requests)
    {
        _requests = requests;
        for (int i = 0; i < requests.Count; i++)
        {
            foreach (string path in requests[i].LockedPaths)
            {
                _lastHolder[path] = i;
            }
        }
    }

    /// <summary>Every locked path of the batch with the request that releases it.</summary>
    public IEnumerable<KeyValuePair<string, int>> LastHolders => _lastHolder;

    /// <summary>Whether request <paramref name="index"/> is the one that releases the lock on <paramref name="path"/>.</summary>
    public bool Releases(string path, int index) => _lastHolder.TryGetValue(path, out int holder) && holder == index;

    public bool TryGetStaged(string path, out SystemNode? node) => _staged.TryGetValue(path, out node);

    /// <summary>Whether request <paramref name="index"/> depends on an earlier request of the batch that did not commit.</summary>
    public bool RestsOnFailure(int index)
    {
        var request = _requests[index];
        long closing = request.ClosingSession != 0 ? request.ClosingSession : request.ClosedSession;
        return Touched(request).Any(_failed.Contains) || (closing != 0 && _failedCloses.Contains(closing));
    }

    /// <summary>Records whether request <paramref name="index"/> committed.</summary>
    public void Record(int index, bool applied)
    {
        var request = _requests[index];
        if (applied)
        {
            foreach (var write in request.Nodes)
            {
                _staged[write.Path] = write.NewState;
            }
            return;
        }
        _failed.UnionWith(Touched(request));
        if (request.ClosingSession != 0)
        {
            _failedCloses.Add(request.ClosingSession);
        }
    }

    private static IEnumerable<string> Touched(CommitRequest request) => request.LockedPaths.Concat(request.Nodes.Select(n => n.Path));
}
