using ZkGateway.Backend.Paths;
using ZkGateway.Backend.Primitives;
using ZkGateway.Jute.Data;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.Backend.Functions.Writer;

/// <summary>
/// A closeSession whose ephemerals do not fit one atomic commit (DynamoDB: 100 items), staged as
/// parts that each do: every part deletes as many ephemerals as fit, with their parents' new Stat,
/// under its own zxid, and is a complete transaction in its own right (committed, distributed and
/// answered in zxid order like any other). The first part takes the close's zxid, each further part
/// the next one; the last part also deletes the session and carries the reply, so the client's
/// reply and its session's end come after every NodeDeleted. The store marks the session closing
/// with the first part (no new ephemerals) and records each part, so a writer that crashes between
/// parts leaves a consistent state: processed again, the close finds the parts still pending
/// (distributed first) and the ephemerals still left (deleted by new parts). ZooKeeper deletes them
/// all under one zxid; here readers may see the ephemerals go in steps.
/// </summary>
internal sealed class CloseSessionSplitter(ISystemStorage system)
{
    /// <summary>
    /// The parts of <paramref name="whole"/>, the close as prepared in one piece, each with its commit.
    /// <paramref name="newPart"/> gives a part's scope: it continues the whole close's locks.
    /// </summary>
    public async Task<List<(Txn Txn, CommitRequest Commit)>> SplitAsync(WriteRequest request, Txn whole, Func<RequestScope> newPart, CancellationToken ct)
    {
        long sessionId = request.SessionId;
        var caller = request.Caller ?? CallerIdentity.Anonymous;
        // The ephemerals the whole close deleted, in the order it found them (sorted by path).
        var doomed = whole.Changes.Where(c => c.Kind == NodeChangeKind.Delete).Select(c => c.Path).ToList();
        var result = new List<(Txn, CommitRequest)>();
        long zxid = whole.Zxid;
        int next = 0;
        // A stand-in for sizing: a last part (session deleted, pending entry, request marker) is the largest.
        var sizing = whole with { Changes = [new NodeChange(NodeChangeKind.Delete, "/", new Stat())] };
        while (true)
        {
            var scope = newPart();
            var chunk = NextChunk(doomed, ref next, paths => system.FitsOneCommit(new CommitRequest(scope.Locks.Token, paths, [], null, sessionId, sizing)));
            if (chunk.Count == 0)
            {
                throw new InvalidOperationException($"closeSession of {sessionId:x16}: not even one ephemeral fits a commit.");
            }
            bool last = next == doomed.Count;
            var context = new WriteContext(sessionId, caller, zxid, whole.Time, scope, ct);
            foreach (string path in chunk)
            {
                if (await context.GetAsync(path).ConfigureAwait(false) is { } node && node.Stat.EphemeralOwner == sessionId)
                {
                    await RequestPrep.RemoveNodeAsync(node, context).ConfigureAwait(false);
                }
            }
            if (last)
            {
                scope.ClosedSession = sessionId;
            }
            var part = new Txn(zxid, whole.Time, sessionId, last ? request.ReplyTo : null, new WriteResult(ErrorCode.Ok, zxid), context.Changes, context.Triggers, last ? sessionId : 0);
            scope.MergeIntoBatch();
            result.Add((part, BatchCommit.CommitOf(scope, part, closingSession: last ? 0 : sessionId)));
            if (last)
            {
                return result;
            }
            zxid = await system.IncrementCounterAsync(WriterFunction.ZxidCounter, ct).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The next ephemerals from <paramref name="next"/> on whose deletion (each with its parent, once)
    /// still fits one commit; advances <paramref name="next"/> past them.
    /// </summary>
    private static List<string> NextChunk(List<string> doomed, ref int next, Func<List<string>, bool> fits)
    {
        var chunk = new List<string>();
        var paths = new List<string>();
        var parents = new HashSet<string>(StringComparer.Ordinal);
        while (next < doomed.Count)
        {
            string path = doomed[next];
            string parent = ZkPath.Parent(path)!;
            paths.Add(path);
            bool newParent = parents.Add(parent);
            if (newParent)
            {
                paths.Add(parent);
            }
            if (!fits(paths))
            {
                paths.RemoveAt(paths.Count - 1);
                if (newParent)
                {
                    paths.RemoveAt(paths.Count - 1);
                    parents.Remove(parent);
                }
                break;
            }
            chunk.Add(path);
            next++;
        }
        return chunk;
    }
}
