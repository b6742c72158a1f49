using Amazon.DynamoDBv2.Model;
using ZkGateway.Backend.Codecs;
using ZkGateway.Backend.Primitives;
using static ZkGateway.Backend.Aws.DynamoAttributes;

namespace ZkGateway.Backend.Aws;

/// <summary>
/// Builds the one TransactWriteItems of a <see cref="CommitRequest"/>, in this order: an item per
/// locked or written node (its lock held or released, its state written or deleted), the session
/// items (<see cref="SessionCommitItems"/>), the pending entry (<see cref="DynamoPendingLog"/>) and the
/// request's marker (<see cref="RequestMarkers"/>).
/// </summary>
internal sealed class DynamoCommitBuilder(DynamoNodes nodes, DynamoNodeLocks locks, SessionCommitItems sessions, DynamoPendingLog pending, RequestMarkers markers)
{
    /// <summary>
    /// A lower bound of the transaction items a request needs: its locked and written paths, the
    /// sessions it creates, closes or gives ephemerals, and the pending entry. (The owners of deleted
    /// ephemerals are known only from the previous states; <see cref="BuildAsync"/> counts exactly.)
    /// </summary>
    public static int CountItems(CommitRequest request)
    {
        var paths = new HashSet<string>(request.LockedPaths, StringComparer.Ordinal);
        paths.UnionWith(request.Nodes.Select(n => n.Path));
        var owners = request.Nodes.Select(w => w.NewState?.Stat.EphemeralOwner ?? 0).Where(owner => owner > 0);
        int sessionCount = SessionCommitItems.TouchedBy(request, owners).Count;
        return paths.Count + sessionCount + (request.Pending.ChangesState ? 1 : 0) + (request.Pending.ReplyTo is null ? 0 : 1);
    }

    /// <summary>The transaction of request <paramref name="index"/> of <paramref name="batch"/>, with its staged pending entry (null: none).</summary>
    public async Task<CommitTransaction> BuildAsync(CommitRequest request, CommitBatch batch, int index, PendingPayload? payload, CancellationToken ct)
    {
        var tx = new CommitTransaction();
        var ephemerals = new EphemeralChanges();
        var delta = new TreeStatisticsDelta();
        await AddNodeItemsAsync(request, batch, index, tx, ephemerals, delta, ct).ConfigureAwait(false);
        await sessions.AddAsync(request, ephemerals, tx, ct).ConfigureAwait(false);
        if (payload is not null)
        {
            tx.Add(pending.EntryPut(request.Pending.Zxid, payload, delta), CommitItemKind.Pending);
        }
        if (request.Pending.ReplyTo is { } replyTo)
        {
            tx.Add(markers.CommitPut(replyTo, request.Pending.Zxid), CommitItemKind.Request);
        }
        return tx;
    }

    private async Task AddNodeItemsAsync(CommitRequest request, CommitBatch batch, int index, CommitTransaction tx, EphemeralChanges ephemerals, TreeStatisticsDelta delta, CancellationToken ct)
    {
        string token = DynamoNodeLocks.TokenValue(request.Token);
        var now = N(locks.Now);
        var locked = new HashSet<string>(request.LockedPaths, StringComparer.Ordinal);
        var writes = new Dictionary<string, SystemNodeWrite>(StringComparer.Ordinal);
        foreach (var write in request.Nodes)
        {
            writes[write.Path] = write;
        }
        foreach (string path in locked.Concat(writes.Keys.Where(p => !locked.Contains(p))))
        {
            bool isLocked = locked.Contains(path);
            bool release = isLocked && batch.Releases(path, index);
            var values = new Dictionary<string, AttributeValue>();
            string? condition = null;
            if (isLocked)
            {
                condition = DynamoNodeLocks.HeldCondition;
                values[":tok"] = S(token);
                values[":now"] = now;
            }
            SystemNode? previous = null;
            if (writes.TryGetValue(path, out var write) || (release && isLocked))
            {
                previous = await PreviousStateAsync(path, request.Token, batch, ct).ConfigureAwait(false);
            }
            if (write is not null)
            {
                delta.Add(path, previous, write.NewState);
                ephemerals.Track(path, previous, write.NewState);
            }
            tx.Add(NodeItem(path, write, previous, isLocked, release, condition, values), CommitItemKind.Lock);
        }
    }

    /// <summary>A node's state before this request: staged by an earlier request, read by our lock, or read now (we hold the lock, so it cannot change).</summary>
    private async ValueTask<SystemNode?> PreviousStateAsync(string path, LockToken token, CommitBatch batch, CancellationToken ct)
    {
        if (batch.TryGetStaged(path, out var node) || locks.TryGetRead(path, token, out node))
        {
            return node;
        }
        return await nodes.GetAsync(path, ct).ConfigureAwait(false);
    }

    private TransactWriteItem NodeItem(string path, SystemNodeWrite? write, SystemNode? previous, bool isLocked, bool release, string? condition, Dictionary<string, AttributeValue> values)
    {
        if (write?.NewState is { } state)
        {
            values[":st"] = B(StorageCodec.EncodeStat(state.Stat));
            values[":acl"] = B(StorageCodec.EncodeAcl(state.Acl));
            // A deleted node's item loses the reap index's attribute with its state (below).
            bool reapable = DynamoReapIndex.Lists(state.Stat);
            if (reapable)
            {
                values[":reap"] = DynamoReapIndex.Value;
            }
            string update = "SET #stat = :st, #acl = :acl" + (reapable ? DynamoReapIndex.SetClause : "") + (release ? " " + DynamoNodeLocks.ReleaseClause : "");
            return NodeUpdate(path, update, condition, values);
        }
        if (write is not null || (release && previous is null))
        {
            if (release || !isLocked)
            {
                // Node deleted (or a lock of a missing node released): the whole item goes.
                return new TransactWriteItem
                {
                    Delete = Named(new Delete
                    {
                        TableName = nodes.Table,
                        Key = DynamoNodes.Key(path),
                        ConditionExpression = condition,
                        ExpressionAttributeValues = values.Count > 0 ? values : null,
                    }),
                };
            }
            // Deleted, but a later request of the batch still holds the lock: keep the lock item.
            return NodeUpdate(path, "REMOVE #stat, #acl, #reapShard", condition, values);
        }
        if (release)
        {
            return NodeUpdate(path, DynamoNodeLocks.ReleaseClause, condition, values);
        }
        // Read (validated against) but neither written nor released here: the request still depends
        // on holding it.
        return new TransactWriteItem
        {
            ConditionCheck = Named(new ConditionCheck
            {
                TableName = nodes.Table,
                Key = DynamoNodes.Key(path),
                ConditionExpression = condition!,
                ExpressionAttributeValues = values,
            }),
        };
    }

    private TransactWriteItem NodeUpdate(string path, string update, string? condition, Dictionary<string, AttributeValue> values) =>
        TransactUpdate(nodes.Table, DynamoNodes.Key(path), update, condition, values);
}
