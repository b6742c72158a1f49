using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using ZkGateway.Backend.Primitives;

namespace ZkGateway.Backend.Aws;

/// <summary>A user storage of the AWS provider set: it can learn the distributor's applied zxid from the counters table.</summary>
public interface IAwsUserStorage : IUserStorage
{
    /// <summary>Reads the applied zxid from the counters table (distributor start-up, and gateways now and then).</summary>
    ValueTask<long> RefreshAppliedZxidAsync(CancellationToken cancellationToken = default);
}

/// <summary>
/// The zxid of the last transaction the distributor applied to user storage, kept in the counters
/// table (item <c>applied</c>) so that a redelivered distributor batch, or one replayed by a new
/// distributor instance, is recognised and not applied twice. Shared by both user storages: where
/// the node data lives does not change how the marker is kept.
/// </summary>
internal sealed class AppliedMarker(IAmazonDynamoDB dynamo, string countersTable)
{
    private const string CounterName = "applied";
    private long _zxid;

    /// <summary>
    /// The highest applied zxid this process knows of: the distributor's own, or, in a gateway, the
    /// highest it has seen in reads and in its inbox (reads are answered with it).
    /// </summary>
    public long Zxid => Volatile.Read(ref _zxid);

    public void Observe(long zxid)
    {
        long current;
        while (zxid > (current = Volatile.Read(ref _zxid)) && Interlocked.CompareExchange(ref _zxid, zxid, current) != current)
        {
        }
    }

    public async ValueTask<long> RefreshAsync(CancellationToken cancellationToken)
    {
        await ReadStoredAsync(cancellationToken).ConfigureAwait(false);
        return Zxid;
    }

    /// <summary>The marker as stored (0 before the first batch), also observed.</summary>
    public async ValueTask<long> ReadStoredAsync(CancellationToken cancellationToken)
    {
        var response = await dynamo.GetItemAsync(new GetItemRequest
        {
            TableName = countersTable,
            Key = new() { ["name"] = new AttributeValue { S = CounterName } },
            ConsistentRead = true,
        }, cancellationToken).ConfigureAwait(false);
        long stored = 0;
        if (response.Item is { } item && item.TryGetValue("value", out var value) && value.N is { } n)
        {
            stored = long.Parse(n, CultureInfo.InvariantCulture);
            Observe(stored);
        }
        return stored;
    }

    /// <summary>Raises the stored marker, never lowers it (a late, redelivered batch must not move it back).</summary>
    public async ValueTask RaiseAsync(long zxid, CancellationToken cancellationToken)
    {
        try
        {
            await dynamo.UpdateItemAsync(new UpdateItemRequest
            {
                TableName = countersTable,
                Key = new() { ["name"] = new AttributeValue { S = CounterName } },
                UpdateExpression = "SET #v = :z",
                ConditionExpression = "attribute_not_exists(#v) OR #v < :z",
                ExpressionAttributeNames = new() { ["#v"] = "value" },
                ExpressionAttributeValues = new() { [":z"] = new AttributeValue { N = zxid.ToString(CultureInfo.InvariantCulture) } },
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (ConditionalCheckFailedException)
        {
            // Already at or past it.
        }
        Observe(zxid);
    }
}
