using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using ZkGateway.Backend.Codecs;
using ZkGateway.Backend.Primitives;
using static ZkGateway.Backend.Aws.DynamoAttributes;
using DynamoWrite = Amazon.DynamoDBv2.Model.WriteRequest;

namespace ZkGateway.Backend.Aws;

/// <summary>
/// The pending list in <c>D-pending</c> (pk <c>shard</c> = "0", sk <c>zxid</c>): transactions committed
/// but not yet applied by the distributor, serialized with StorageCodec (<c>txn</c>), or in S3 under
/// payloads/pending/&lt;zxid&gt;/&lt;attempt&gt; (<c>s3Key</c>) when larger than an item may be. An entry is
/// written by its request's commit (<see cref="EntryPut"/>) and dropped by the distributor's pop, which
/// first adds the entries' statistics deltas (<see cref="DynamoTreeStatistics"/>).
/// </summary>
internal sealed class DynamoPendingLog(IAmazonDynamoDB db, string table, S3Payloads payloads, DynamoTreeStatistics statistics)
{
    /// <summary>Serialized transactions above this go to S3 (a DynamoDB item holds at most 400 KB).</summary>
    public const int InlineLimit = 350 * 1024;

    private const string Shard = "0";

    /// <summary>
    /// A request's transaction encoded for its pending entry, its large bytes already in S3; null for a
    /// request that changes no state (it has no entry).
    /// </summary>
    public async Task<PendingPayload?> StageAsync(Txn txn, CancellationToken ct)
    {
        if (!txn.ChangesState)
        {
            return null;
        }
        byte[] bytes = StorageCodec.EncodeTxn(txn);
        if (bytes.Length <= InlineLimit)
        {
            return new PendingPayload(bytes, null);
        }
        // A unique key per attempt: a refused or redelivered commit of the same zxid must not
        // overwrite (and then delete) the payload of the entry that did commit.
        string key = $"payloads/pending/{txn.Zxid}/{Guid.NewGuid():N}";
        try
        {
            await payloads.PutAsync(key, bytes, ct).ConfigureAwait(false);
        }
        catch
        {
            await payloads.TryDeleteAsync(key).ConfigureAwait(false);
            throw;
        }
        return new PendingPayload(bytes, key);
    }

    /// <summary>The S3 payload of a request that did not commit: nothing points at it.</summary>
    public async Task DiscardAsync(PendingPayload? payload)
    {
        if (payload?.S3Key is { } key)
        {
            await payloads.TryDeleteAsync(key).ConfigureAwait(false);
        }
    }

    /// <summary>The commit's item that puts the entry, with the request's statistics deltas.</summary>
    public TransactWriteItem EntryPut(long zxid, PendingPayload payload, TreeStatisticsDelta delta)
    {
        var item = new Dictionary<string, AttributeValue>
        {
            ["shard"] = S(Shard),
            ["zxid"] = N(zxid),
        };
        if (payload.S3Key is { } key)
        {
            item["s3Key"] = S(key);
        }
        else
        {
            item["txn"] = B(payload.Bytes);
        }
        delta.WriteTo(item);
        return new TransactWriteItem
        {
            Put = Named(new Put
            {
                TableName = table,
                Item = item,
                // A zxid is pending once: a redelivered commit fails here rather than apply twice.
                ConditionExpression = "attribute_not_exists(#zxid)",
            }),
        };
    }

    /// <summary>The transaction pending under <paramref name="zxid"/>, or null once distributed (or never committed).</summary>
    public async ValueTask<Txn?> GetAsync(long zxid, CancellationToken cancellationToken)
    {
        var pending = await db.GetItemAsync(Named(new GetItemRequest
        {
            TableName = table,
            Key = new() { ["shard"] = S(Shard), ["zxid"] = N(zxid) },
            ConsistentRead = true,
        }), cancellationToken).ConfigureAwait(false);
        return pending.Item is { Count: > 0 } item ? await DecodeAsync(item, cancellationToken).ConfigureAwait(false) : null;
    }

    /// <summary>Those of <paramref name="zxids"/> still pending, in the order given (one read each).</summary>
    public async ValueTask<IReadOnlyList<Txn>> GetStillPendingAsync(IEnumerable<long> zxids, CancellationToken cancellationToken)
    {
        var txns = new List<Txn>();
        foreach (long zxid in zxids)
        {
            if (await GetAsync(zxid, cancellationToken).ConfigureAwait(false) is { } txn)
            {
                txns.Add(txn);
            }
        }
        return txns;
    }

    public async ValueTask<IReadOnlyList<Txn>> ListAsync(CancellationToken cancellationToken)
    {
        var items = await QueryAllAsync(db, Named(new QueryRequest
        {
            TableName = table,
            KeyConditionExpression = "#shard = :s",
            ExpressionAttributeValues = new() { [":s"] = S(Shard) },
            ConsistentRead = true,
            ScanIndexForward = true,
        }), cancellationToken).ConfigureAwait(false);
        var txns = new List<Txn>(items.Count);
        foreach (var item in items)
        {
            txns.Add(await DecodeAsync(item, cancellationToken).ConfigureAwait(false));
        }
        return txns;
    }

    /// <summary>Drops the entries up to and including <paramref name="zxid"/>, and their S3 payloads.</summary>
    public async ValueTask PopAsync(long zxid, CancellationToken cancellationToken)
    {
        var items = await QueryAllAsync(db, Named(new QueryRequest
        {
            TableName = table,
            KeyConditionExpression = "#shard = :s AND #zxid <= :z",
            ExpressionAttributeValues = new() { [":s"] = S(Shard), [":z"] = N(zxid) },
            ProjectionExpression = "#shard, #zxid, #s3Key, " + TreeStatisticsDelta.Projection,
            ConsistentRead = true,
        }), cancellationToken).ConfigureAwait(false);
        // The counts first, then the deletes: a crash in between leaves the entries, and the stats
        // item's upTo makes their second count a no-op.
        await statistics.AddAsync(items, cancellationToken).ConfigureAwait(false);
        var deletes = items.Select(item => new DynamoWrite
        {
            DeleteRequest = new DeleteRequest { Key = new() { ["shard"] = item["shard"], ["zxid"] = item["zxid"] } },
        }).ToList();
        await BatchWriteAllAsync(db, table, deletes, cancellationToken).ConfigureAwait(false);
        foreach (var item in items)
        {
            if (GetString(item, "s3Key") is { } key)
            {
                await payloads.TryDeleteAsync(key).ConfigureAwait(false);
            }
        }
    }

    private async Task<Txn> DecodeAsync(Dictionary<string, AttributeValue> item, CancellationToken ct)
    {
        byte[] bytes = GetBytes(item, "txn")
            ?? await payloads.GetAsync(GetString(item, "s3Key") ?? throw new InvalidDataException("Pending item has neither txn nor s3Key."), ct).ConfigureAwait(false);
        return StorageCodec.DecodeTxn(bytes);
    }
}
