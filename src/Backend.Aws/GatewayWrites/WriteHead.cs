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
public sealed record HeadState(long Seq, long LastZxid, string Writer, string BatchId, byte[] Batch)
{
    public static readonly HeadState Empty = new(0, 0, "", "", []);
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
        try
        {
            await dynamo.UpdateItemAsync(Named(new UpdateItemRequest
            {
                TableName = countersTable,
                Key = Key,
                UpdateExpression = "SET #seq = :next, #zxid = :zxid, #writer = :writer, #batchId = :id, #batch = :batch",
                ConditionExpression = expectedSeq == 0 ? "attribute_not_exists(#seq)" : "#seq = :expected",
                ExpressionAttributeValues = WithExpected(expectedSeq, new()
                {
                    [":next"] = N(next.Seq),
                    [":zxid"] = N(next.LastZxid),
                    [":writer"] = S(next.Writer),
                    [":id"] = S(next.BatchId),
                    [":batch"] = B(next.Batch),
                }),
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
            ? new HeadState(seq, GetLong(item, "zxid") ?? 0, GetString(item, "writer") ?? "", GetString(item, "batchId") ?? "", GetBytes(item, "batch") ?? [])
            : HeadState.Empty;
}
