using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using ZkGateway.Backend.Primitives;

namespace ZkGateway.Backend.Aws;

/// <summary>
/// Commits a writer batch: each <see cref="CommitRequest"/> is one TransactWriteItems, so it is
/// all-or-nothing and conditional on our locks, and the requests are committed in order. Reads the
/// cancellation reasons to tell a refusal (the request did not happen) from a conflict (retry).
/// </summary>
internal sealed class DynamoCommitter(IAmazonDynamoDB db, DynamoNodeLocks locks, DynamoPendingLog pending, DynamoCommitBuilder builder, RequestMarkers markers)
{
    /// <summary>TransactWriteItems' limit on the items of one transaction.</summary>
    public const int MaxItems = 100;

    /// <summary>Why the last refused request was refused (diagnostics; the interface only has a bool).</summary>
    public string? LastRefusal { get; private set; }

    public async ValueTask<bool[]> CommitAsync(IReadOnlyList<CommitRequest> requests, CancellationToken cancellationToken)
    {
        var applied = new bool[requests.Count];
        var batch = new CommitBatch(requests);
        int lostAt = -1;
        CommitItemKind? lostOn = null;
        for (int i = 0; i < requests.Count; i++)
        {
            CommitItemKind? refused = null;
            if (batch.RestsOnFailure(i))
            {
                LastRefusal = $"zxid {requests[i].Pending.Zxid}: depends on an earlier request of the batch that did not commit";
                applied[i] = false;
            }
            else
            {
                (applied[i], refused) = await CommitOneAsync(requests[i], batch, i, cancellationToken).ConfigureAwait(false);
            }
            batch.Record(i, applied[i]);
            if (requests[i].Token.Batch is not null && await SupersededAsync(requests[i], refused, cancellationToken).ConfigureAwait(false))
            {
                // A queue batch whose lock is gone may be in a later delivery's hands (a takeover):
                // its commits come after this one's zxids, so committing our later requests would put
                // them below zxids already committed. Stop here; the rest stays uncommitted.
                lostAt = i;
                lostOn = refused;
                break;
            }
        }
        // A path whose releasing request failed is still locked by us (by earlier requests that kept
        // it, or because the failure was elsewhere): release it, as the embedded store releases every
        // lock of the batch.
        foreach (var (path, holder) in batch.LastHolders)
        {
            if (!applied[holder])
            {
                await locks.UnlockAsync(path, requests[holder].Token, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                locks.ForgetRead(path, requests[holder].Token);
            }
        }
        if (lostAt >= 0)
        {
            throw new LockLostException($"zxid {requests[lostAt].Pending.Zxid}: batch {requests[lostAt].Token.Batch} (delivery {requests[lostAt].Token.Delivery}) was refused on a {lostOn} item (a lock lapsed or taken over, or a marker a later delivery wrote); its {requests.Count - lostAt - 1} later requests were not tried");
        }
        return applied;
    }

    /// <summary>
    /// Whether a refusal shows a later delivery of the batch at work: a lock no longer ours (taken over,
    /// or lapsed and free for anyone), or the request's marker holding a zxid above ours, which only a
    /// delivery that prepared after us hands out (a request without locks, such as a createSession,
    /// meets only the marker). A marker below ours is an earlier, dead delivery's commit: go on.
    /// </summary>
    private async ValueTask<bool> SupersededAsync(CommitRequest request, CommitItemKind? refused, CancellationToken ct) =>
        refused switch
        {
            CommitItemKind.Lock => true,
            CommitItemKind.Request when request.Pending.ReplyTo is { } replyTo =>
                await markers.ZxidAsync(replyTo, ct).ConfigureAwait(false) is { } committed && committed > request.Pending.Zxid,
            _ => false,
        };

    /// <returns>Whether the request was applied, and if it was refused, the kind of item whose condition failed.</returns>
    private async Task<(bool Applied, CommitItemKind? Refused)> CommitOneAsync(CommitRequest request, CommitBatch batch, int index, CancellationToken ct)
    {
        PendingPayload? payload = null;
        try
        {
            payload = await pending.StageAsync(request.Pending, ct).ConfigureAwait(false);
            for (int attempt = 0; ; attempt++)
            {
                var tx = await builder.BuildAsync(request, batch, index, payload, ct).ConfigureAwait(false);
                if (tx.Count == 0)
                {
                    return (true, null);
                }
                if (tx.Count > MaxItems)
                {
                    // One ZooKeeper write must commit atomically, and DynamoDB cannot do that with more
                    // than 100 items: refuse the request as a whole (nothing written; its locks are
                    // released by the caller) rather than commit it in parts.
                    LastRefusal = $"zxid {request.Pending.Zxid}: {tx.Count} items exceed TransactWriteItems' limit of {MaxItems}";
                    await pending.DiscardAsync(payload).ConfigureAwait(false);
                    return (false, null);
                }
                try
                {
                    await db.TransactWriteItemsAsync(new TransactWriteItemsRequest
                    {
                        TransactItems = tx.Items,
                        // Makes the SDK's own retry of a timed-out call idempotent (DynamoDB remembers
                        // the token 10 minutes): a commit that succeeded is not reported as a lost lock.
                        // A redelivered batch has a new lock token and a new request token, so it
                        // fails on the locks and on attribute_not_exists(zxid) instead.
                        ClientRequestToken = Guid.NewGuid().ToString(),
                    }, ct).ConfigureAwait(false);
                    return (true, null);
                }
                catch (TransactionCanceledException ex)
                {
                    var (refused, retry) = ReadCancellation(ex, tx);
                    if (refused is not null)
                    {
                        // A lock lost (or lapsed), the owner session gone, or this zxid already
                        // pending (a redelivered commit): the request did not happen.
                        LastRefusal = $"zxid {request.Pending.Zxid}: condition failed on a {refused} item";
                        await pending.DiscardAsync(payload).ConfigureAwait(false);
                        return (false, refused);
                    }
                    if (!retry || attempt >= 8)
                    {
                        throw;
                    }
                    // Another transaction touched one of our items at the same moment (a session's
                    // ephemeral set, typically): rebuild and try again after a short pause.
                    await Task.Delay(TimeSpan.FromMilliseconds(5 << attempt), ct).ConfigureAwait(false);
                }
            }
        }
        catch when (payload?.S3Key is not null)
        {
            await pending.DiscardAsync(payload).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// The first item whose condition failed for good (the request is refused), else whether the
    /// cancellation is worth a retry: a conflict with another transaction, throttling, or a session
    /// set whose version moved since it was read.
    /// </summary>
    private static (CommitItemKind? Refused, bool Retry) ReadCancellation(TransactionCanceledException ex, CommitTransaction tx)
    {
        var reasons = ex.CancellationReasons ?? [];
        bool retry = false;
        for (int r = 0; r < reasons.Count && r < tx.Kinds.Count; r++)
        {
            switch (reasons[r].Code)
            {
                case "ConditionalCheckFailed" when tx.Kinds[r] == CommitItemKind.SessionVersion:
                    retry = true;
                    break;
                case "ConditionalCheckFailed":
                    return (tx.Kinds[r], false);
                case "TransactionConflict" or "ThrottlingError" or "ProvisionedThroughputExceeded":
                    retry = true;
                    break;
            }
        }
        return (null, retry);
    }
}
