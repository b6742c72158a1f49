using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using static ZkGateway.Backend.Aws.DynamoAttributes;

namespace ZkGateway.Backend.Aws;

/// <summary>Named counters in <c>D-counters</c> (pk <c>name</c>, <c>value</c>): the zxid counter and the per-parent sequence counters.</summary>
internal sealed class DynamoCounters(IAmazonDynamoDB db, string table)
{
    public async ValueTask<long> IncrementAsync(string name, CancellationToken cancellationToken)
    {
        // ADD is atomic on the server: concurrent increments never return the same value.
        var response = await db.UpdateItemAsync(Named(new UpdateItemRequest
        {
            TableName = table,
            Key = new() { ["name"] = S(name) },
            UpdateExpression = "ADD #v :one",
            ExpressionAttributeNames = new() { ["#v"] = "value" },
            ExpressionAttributeValues = new() { [":one"] = N(1) },
            ReturnValues = ReturnValue.UPDATED_NEW,
        }), cancellationToken).ConfigureAwait(false);
        return GetLong(response.Attributes, "value") ?? throw new InvalidOperationException($"Counter {name} returned no value.");
    }

    public async ValueTask<long> ReadAsync(string name, CancellationToken cancellationToken)
    {
        var response = await db.GetItemAsync(new GetItemRequest
        {
            TableName = table,
            Key = new() { ["name"] = S(name) },
            ConsistentRead = true,
        }, cancellationToken).ConfigureAwait(false);
        return GetLong(response.Item, "value") ?? 0;
    }

    public async ValueTask SetAsync(string name, long value, CancellationToken cancellationToken)
    {
        await db.PutItemAsync(new PutItemRequest
        {
            TableName = table,
            Item = new() { ["name"] = S(name), ["value"] = N(value) },
        }, cancellationToken).ConfigureAwait(false);
    }
}
