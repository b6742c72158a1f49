using System.Collections.Concurrent;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using ZkGateway.Backend.Primitives;
using static ZkGateway.Backend.Aws.DynamoAttributes;

namespace ZkGateway.Backend.Aws;

/// <summary>
/// Timed locks with unique tokens on the items of <c>D-nodes</c> (<c>lockToken</c>, <c>lockUntil</c> in
/// ms), taken together with a read of the node's committed state (FaaSKeeper's lock+read). A commit
/// holds a lock by the condition <see cref="HeldCondition"/> and releases it with
/// <see cref="ReleaseClause"/> in the same transaction.
/// </summary>
internal sealed class DynamoNodeLocks(IAmazonDynamoDB db, DynamoNodes nodes, TimeProvider time)
{
    /// <summary>
    /// A commit's condition on a lock: still ours and not lapsed, as the embedded store checks (past
    /// its lease a lock may be taken by another writer at any moment, so a late commit must not count
    /// on it). Needs <c>:tok</c> (<see cref="TokenValue"/>) and <c>:now</c>.
    /// </summary>
    public const string HeldCondition = "#lockToken = :tok AND #lockUntil > :now";

    /// <summary>The update clause that releases a lock.</summary>
    public const string ReleaseClause = "REMOVE #lockToken, #lockUntil, #lockBatch, #lockDelivery";

    /// <summary>
    /// The committed state each lock call read, per path and token. The state cannot change while we
    /// hold the lock, so a commit uses it to learn a node's previous ephemeral owner (a transaction
    /// cannot read) and an unlock to know that the node is absent (then the lock item is deleted
    /// instead of left behind). A miss only costs a read or leaves an empty lock item.
    /// </summary>
    private readonly ConcurrentDictionary<string, (LockToken Token, SystemNode? Node)> _reads = new(StringComparer.Ordinal);

    /// <summary>This function's clock in ms: lapse uses it, as the embedded store does.</summary>
    public long Now => time.GetUtcNow().ToUnixTimeMilliseconds();

    public static string TokenValue(LockToken token) => token.Value.ToString("N");

    public async ValueTask<LockResult> TryLockAsync(string path, LockToken token, TimeSpan lease, CancellationToken cancellationToken)
    {
        long now = Now;
        var values = new Dictionary<string, AttributeValue>
        {
            [":tok"] = S(TokenValue(token)),
            [":until"] = N(now + (long)lease.TotalMilliseconds),
            [":now"] = N(now),
        };
        // Free, lapsed (a crashed holder), or ours already (re-entrant: a batch locks a parent once per
        // request).
        string condition = "attribute_not_exists(#lockToken) OR #lockUntil <= :now OR #lockToken = :tok";
        string update = "SET #lockToken = :tok, #lockUntil = :until";
        if (token.Batch is { } batch)
        {
            // Or held by an earlier delivery of our batch (LockToken.Supersedes): that delivery is dead
            // or stalled past its receive lease, and our token fences its commits. The batch and delivery
            // go with the lock, so an earlier delivery can never take it back.
            condition += " OR (#lockBatch = :batch AND #lockDelivery < :delivery)";
            update += ", #lockBatch = :batch, #lockDelivery = :delivery";
            values[":batch"] = S(batch);
            values[":delivery"] = N(token.Delivery);
        }
        else
        {
            update += " REMOVE #lockBatch, #lockDelivery";
        }
        try
        {
            var response = await db.UpdateItemAsync(Named(new UpdateItemRequest
            {
                TableName = nodes.Table,
                Key = DynamoNodes.Key(path),
                UpdateExpression = update,
                ConditionExpression = condition,
                ExpressionAttributeValues = values,
                // The node's committed state comes back in the same round trip.
                ReturnValues = ReturnValue.ALL_NEW,
            }), cancellationToken).ConfigureAwait(false);
            var node = DynamoNodes.Read(path, response.Attributes);
            _reads[path] = (token, node);
            return new LockResult(true, node);
        }
        catch (ConditionalCheckFailedException)
        {
            return new LockResult(false, null);
        }
    }

    public async ValueTask UnlockAsync(string path, LockToken token, CancellationToken cancellationToken)
    {
        bool knownAbsent = _reads.TryGetValue(path, out var read) && read.Token == token && read.Node is null;
        _reads.TryRemove(KeyValuePair.Create(path, read));
        var values = new Dictionary<string, AttributeValue> { [":tok"] = S(TokenValue(token)) };
        try
        {
            if (knownAbsent)
            {
                // The lock item of a missing node: delete it rather than leave an empty item behind.
                await db.DeleteItemAsync(Named(new DeleteItemRequest
                {
                    TableName = nodes.Table,
                    Key = DynamoNodes.Key(path),
                    ConditionExpression = "#lockToken = :tok AND attribute_not_exists(#stat)",
                    ExpressionAttributeValues = values,
                }), cancellationToken).ConfigureAwait(false);
                return;
            }
        }
        catch (ConditionalCheckFailedException)
        {
            // Not ours any more, or the node exists after all: fall through to the plain release.
        }
        try
        {
            await db.UpdateItemAsync(Named(new UpdateItemRequest
            {
                TableName = nodes.Table,
                Key = DynamoNodes.Key(path),
                UpdateExpression = ReleaseClause,
                // Only our own lock: a lapsed lock may have been taken by another writer since.
                ConditionExpression = "#lockToken = :tok",
                ExpressionAttributeValues = values,
            }), cancellationToken).ConfigureAwait(false);
        }
        catch (ConditionalCheckFailedException)
        {
            // Already released or taken over: nothing to do, as in the embedded store.
        }
    }

    /// <summary>The state the lock with this token read, if this instance took it.</summary>
    public bool TryGetRead(string path, LockToken token, out SystemNode? node)
    {
        if (_reads.TryGetValue(path, out var read) && read.Token == token)
        {
            node = read.Node;
            return true;
        }
        node = null;
        return false;
    }

    /// <summary>Forgets the read of a lock a commit released (only if it is still this token's).</summary>
    public void ForgetRead(string path, LockToken token)
    {
        if (_reads.TryGetValue(path, out var read) && read.Token == token)
        {
            _reads.TryRemove(KeyValuePair.Create(path, read));
        }
    }
}
