using ZkGateway.Backend.Primitives;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.Backend.Functions.Writer;

/// <summary>
/// Recovery after a batch's commit: what each of its transactions goes out to the distributor as.
/// A commit that did not happen lost a lock, or belongs to a request committed before (its batch came
/// again after a writer crash): then what it was committed as goes out again, once. A request that
/// failed validation has its outcome recorded, so that processed again it is answered as the first
/// time; and one whose first processing committed is answered with what it became.
/// </summary>
internal static class CommitOutcomes
{
    /// <param name="system">Where committed requests and recorded failures are found.</param>
    /// <param name="commits">The batch's commits, in zxid order.</param>
    /// <param name="applied">Per commit, whether it was applied.</param>
    /// <param name="txns">The batch's transactions, in zxid order.</param>
    /// <param name="ct">Cancels the look-ups.</param>
    /// <returns>The transactions to push, in zxid order.</returns>
    public static async Task<List<Txn>> ResolveAsync(ISystemStorage system, IReadOnlyList<CommitRequest> commits, bool[] applied, IReadOnlyList<Txn> txns, CancellationToken ct)
    {
        // By zxid: what goes out instead (null: nothing).
        var replaced = new Dictionary<long, Txn?>();
        for (int i = 0; i < applied.Length; i++)
        {
            // A part of a split close that did not commit has no reply of its own: it is left out (the
            // last part, which carries the reply, then failed too, and the client gets a system error).
            if (!applied[i] && commits[i].ClosingSession != 0)
            {
                replaced[commits[i].Pending.Zxid] = null;
            }
            else if (!applied[i])
            {
                var pending = commits[i].Pending;
                var earlier = pending.ReplyTo is { } replyTo
                    ? await system.FindCommittedAsync(replyTo, ct).ConfigureAwait(false)
                    : null;
                replaced[pending.Zxid] = earlier is null
                    // The client gets a system error, not a silent success.
                    ? pending with { Changes = [], Triggers = [], ClosedSessionId = 0, Result = new WriteResult(ErrorCode.SystemError, pending.Zxid) }
                    // Still pending: distribute it (a no-op if the crashed writer pushed it: same
                    // deduplication id). Already applied: its reply went out with it.
                    : earlier.Pending;
            }
        }
        // Requests that failed validation: recorded, or, if an earlier attempt committed (a create
        // meeting the node it made), answered with what that became.
        var committed = commits.Select(c => c.Pending.Zxid).ToHashSet();
        var failures = txns.Where(t => t.ReplyTo is not null && !committed.Contains(t.Zxid) && !replaced.ContainsKey(t.Zxid) && RequestPrep.IsFailure(t.Result)).ToList();
        if (failures.Count > 0)
        {
            var outcomes = await Task.WhenAll(failures.Select(f => system.RecordFailureAsync(f, ct).AsTask())).ConfigureAwait(false);
            for (int i = 0; i < failures.Count; i++)
            {
                if (outcomes[i] is { } earlier)
                {
                    replaced[failures[i].Zxid] = earlier.Pending;
                }
            }
        }
        var outgoing = new List<Txn>(txns.Count);
        foreach (var txn in txns)
        {
            if (!replaced.TryGetValue(txn.Zxid, out var instead))
            {
                outgoing.Add(txn);
            }
            else if (instead is not null)
            {
                outgoing.Add(instead);
            }
        }
        return outgoing;
    }
}
