using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using static ZkGateway.Backend.Aws.DynamoAttributes;

namespace ZkGateway.Backend.Aws;

/// <summary>What the head item says: the last reserved batch, its highest zxid, who reserved it, and the batch itself.</summary>
/// <param name="Seq">Number of the last reserved batch (0: none yet).</param>
/// <param name="LastZxid">The highest zxid handed out so far: the next batch's zxids follow it.</param>
/// <param name="Writer">The writer (gateway id) that reserved batch <paramref name="Seq"/>.</param>
/// <param name="BatchId">A value unique to that reservation, so a writer whose reserve timed out can tell whether it got in.</param>
/// <param name="Batch">The encoded batch (<see cref="HeadBatchCodec"/>): enough to apply it without its writer.</param>
/// <param name="Previous">
/// The batch ids of the <see cref="PreviousKept"/> batches before this one, oldest first, each cut to
/// <see cref="IdPrefix"/> characters: a writer whose reservation's answer was lost, and whose batch
/// other writers then applied and reserved past, can still tell that it got in (otherwise it would
/// prepare its requests again and apply them twice, and delete the payloads its batch refers to).
/// </param>
public sealed record HeadState(long Seq, long LastZxid, string Writer, string BatchId, byte[] Batch, IReadOnlyList<string>? Previous = null)
{
    /// <summary>How many earlier batches the head names: far more than can be reserved while one writer reads the head after a lost answer.</summary>
    public const int PreviousKept = 8;

    /// <summary>16 hex digits of a random 128-bit id: enough to tell eight batches apart, and a small part of the item.</summary>
    public const int IdPrefix = 16;

    public static readonly HeadState Empty = new(0, 0, "", "", []);

    /// <summary>The head that reserves <paramref name="batchId"/> after this one.</summary>
    public HeadState Next(long lastZxid, string writer, string batchId, byte[] batch) =>
        new(Seq + 1, lastZxid, writer, batchId, batch, Seq == 0 ? [] : [.. (Previous ?? []).Append(Cut(BatchId)).TakeLast(PreviousKept)]);

    /// <summary>
    /// Whether batch <paramref name="batchId"/>, reserved (or tried) as number <paramref name="seq"/>,
    /// is this one or one of those before it; null when it is too far back to tell.
    /// </summary>
    public bool? Holds(long seq, string batchId)
    {
        if (seq == Seq)
        {
            return BatchId == batchId;
        }
        if (seq > Seq)
        {
            return false;
        }
        var previous = Previous ?? [];
        int back = (int)Math.Min(int.MaxValue, Seq - seq);
        return back <= previous.Count ? previous[^back] == Cut(batchId) : null;
    }

    private static string Cut(string id) => id.Length <= IdPrefix ? id : id[..IdPrefix];
}

/// <summary>
/// The gateway write path's one point of serialization: the item <c>head</c> in <c>D-counters</c>.
/// Reserving batch n+1 is one conditional write (condition: the head still says n), so writers on any
/// number of gateways are totally ordered without locks or clocks; a writer reserves n+1 only once
/// batch n is applied (its own, or helped: <see cref="GatewayWriter"/>), so the head holds the only
/// batch that can still be unapplied, and overwriting it loses nothing.
/// </summary>
public sealed class WriteHead(IAmazonDynamoDB dynamo, string countersTable)
{
    public const string ItemName = "head";

    private static Dictionary<string, AttributeValue> Key => new() { ["name"] = S(ItemName) };

    /// <summary>One consistent read of the head.</summary>
    public async ValueTask<HeadState> ReadAsync(CancellationToken cancellationToken)
    {
        var item = (await dynamo.GetItemAsync(new GetItemRequest { TableName = countersTable, Key = Key, ConsistentRead = true }, cancellationToken).ConfigureAwait(false)).Item;
        return Decode(item);
    }

    /// <summary>
    /// Reserves batch <paramref name="expectedSeq"/> + 1 if the head still says <paramref name="expectedSeq"/>.
    /// False: another writer reserved it first. An exception leaves the outcome unknown: read the head
    /// and compare its <see cref="HeadState.BatchId"/>.
    /// </summary>
    public async ValueTask<bool> TryReserveAsync(long expectedSeq, HeadState next, CancellationToken cancellationToken)
    {
        var values = WithExpected(expectedSeq, new()
        {
            [":next"] = N(next.Seq),
            [":zxid"] = N(next.LastZxid),
            [":writer"] = S(next.Writer),
            [":id"] = S(next.BatchId),
            [":batch"] = B(next.Batch),
        });
        string update = "SET #seq = :next, #zxid = :zxid, #writer = :writer, #batchId = :id, #batch = :batch";
        if (next.Previous is { Count: > 0 } ids)
        {
            // Joined: one string takes less of the item than a list of strings.
            values[":previous"] = S(string.Join(',', ids));
            update += ", #previous = :previous";
        }
        else
        {
            update += " REMOVE #previous";
        }
        try
        {
            await dynamo.UpdateItemAsync(Named(new UpdateItemRequest
            {
                TableName = countersTable,
                Key = Key,
                UpdateExpression = update,
                ConditionExpression = expectedSeq == 0 ? "attribute_not_exists(#seq)" : "#seq = :expected",
                ExpressionAttributeValues = values,
            }), cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (ConditionalCheckFailedException)
        {
            return false;
        }
    }

    private static Dictionary<string, AttributeValue> WithExpected(long expectedSeq, Dictionary<string, AttributeValue> values)
    {
        if (expectedSeq != 0)
        {
            values[":expected"] = N(expectedSeq);
        }
        return values;
    }

    private static HeadState Decode(Dictionary<string, AttributeValue>? item) =>
        GetLong(item, "seq") is { } seq
            ? new HeadState(seq, GetLong(item, "zxid") ?? 0, GetString(item, "writer") ?? "", GetString(item, "batchId") ?? "", GetBytes(item, "batch") ?? [],
                GetString(item, "previous") is { Length: > 0 } previous ? previous.Split(',') : [])
            : HeadState.Empty;
}
