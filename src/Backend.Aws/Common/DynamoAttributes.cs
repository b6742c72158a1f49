using System.Globalization;
using System.Text.RegularExpressions;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;

namespace ZkGateway.Backend.Aws;

/// <summary>Small helpers for DynamoDB attribute values and paginated reads.</summary>
internal static class DynamoAttributes
{
    private static readonly Regex NamePlaceholder = new(@"#\w+", RegexOptions.Compiled | RegexOptions.CultureInvariant);

    /// <summary>
    /// Fills ExpressionAttributeNames from the <c>#name</c> placeholders of a request's expressions.
    /// Every attribute is written as a placeholder because DynamoDB reserves hundreds of words (path,
    /// name, value, shard, password, …) and rejects them in expressions; the map must name exactly
    /// the placeholders used (an unused one is an error too), so it is derived, not written by hand.
    /// Placeholders already mapped (<c>#v</c> for "value") are kept.
    /// </summary>
    public static T Named<T>(T request)
        where T : class
    {
        switch (request)
        {
            case UpdateItemRequest r:
                r.ExpressionAttributeNames = NamesIn(r.ExpressionAttributeNames, r.UpdateExpression, r.ConditionExpression);
                break;
            case DeleteItemRequest r:
                r.ExpressionAttributeNames = NamesIn(r.ExpressionAttributeNames, r.ConditionExpression);
                break;
            case PutItemRequest r:
                r.ExpressionAttributeNames = NamesIn(r.ExpressionAttributeNames, r.ConditionExpression);
                break;
            case GetItemRequest r:
                r.ExpressionAttributeNames = NamesIn(r.ExpressionAttributeNames, r.ProjectionExpression);
                break;
            case QueryRequest r:
                r.ExpressionAttributeNames = NamesIn(r.ExpressionAttributeNames, r.KeyConditionExpression, r.FilterExpression, r.ProjectionExpression);
                break;
            case ScanRequest r:
                r.ExpressionAttributeNames = NamesIn(r.ExpressionAttributeNames, r.FilterExpression, r.ProjectionExpression);
                break;
            case Update r:
                r.ExpressionAttributeNames = NamesIn(r.ExpressionAttributeNames, r.UpdateExpression, r.ConditionExpression);
                break;
            case Delete r:
                r.ExpressionAttributeNames = NamesIn(r.ExpressionAttributeNames, r.ConditionExpression);
                break;
            case Put r:
                r.ExpressionAttributeNames = NamesIn(r.ExpressionAttributeNames, r.ConditionExpression);
                break;
            case ConditionCheck r:
                r.ExpressionAttributeNames = NamesIn(r.ExpressionAttributeNames, r.ConditionExpression);
                break;
            default:
                throw new ArgumentException($"Named does not know {typeof(T).Name}.");
        }
        return request;
    }

    private static Dictionary<string, string>? NamesIn(Dictionary<string, string>? existing, params string?[] expressions)
    {
        var names = existing is null ? new Dictionary<string, string>(StringComparer.Ordinal) : new Dictionary<string, string>(existing, StringComparer.Ordinal);
        foreach (string? expression in expressions)
        {
            foreach (Match match in NamePlaceholder.Matches(expression ?? ""))
            {
                names.TryAdd(match.Value, match.Value[1..]);
            }
        }
        // An empty map is an error for DynamoDB; absent is fine.
        return names.Count > 0 ? names : null;
    }

    /// <summary>A transaction's Update action, its attribute names derived (<see cref="Named"/>).</summary>
    public static TransactWriteItem TransactUpdate(string table, Dictionary<string, AttributeValue> key, string update, string? condition, Dictionary<string, AttributeValue> values) => new()
    {
        Update = Named(new Update
        {
            TableName = table,
            Key = key,
            UpdateExpression = update,
            ConditionExpression = condition,
            ExpressionAttributeValues = values,
        }),
    };

    public static AttributeValue S(string value) => new() { S = value };

    public static AttributeValue N(long value) => new() { N = value.ToString(CultureInfo.InvariantCulture) };

    public static AttributeValue B(byte[] value) => new() { B = new MemoryStream(value, writable: false) };

    public static AttributeValue Bool(bool value) => new() { BOOL = value };

    public static AttributeValue SS(IEnumerable<string> values) => new() { SS = [.. values] };

    public static long? GetLong(Dictionary<string, AttributeValue>? item, string name) =>
        item is not null && item.TryGetValue(name, out var value) && value.N is { } n ? long.Parse(n, CultureInfo.InvariantCulture) : null;

    public static string? GetString(Dictionary<string, AttributeValue>? item, string name) =>
        item is not null && item.TryGetValue(name, out var value) ? value.S : null;

    public static byte[]? GetBytes(Dictionary<string, AttributeValue>? item, string name) =>
        item is not null && item.TryGetValue(name, out var value) && value.B is { } stream ? stream.ToArray() : null;

    public static bool GetBool(Dictionary<string, AttributeValue>? item, string name) =>
        item is not null && item.TryGetValue(name, out var value) && value.BOOL == true;

    public static List<string> GetStringSet(Dictionary<string, AttributeValue>? item, string name) =>
        item is not null && item.TryGetValue(name, out var value) && value.SS is { } set ? set : [];

    /// <summary>Every item of a Scan, following LastEvaluatedKey (a Scan returns at most 1 MB per call).</summary>
    public static async Task<List<Dictionary<string, AttributeValue>>> ScanAllAsync(IAmazonDynamoDB db, ScanRequest request, CancellationToken ct, int max = int.MaxValue)
    {
        var items = new List<Dictionary<string, AttributeValue>>();
        do
        {
            var response = await db.ScanAsync(request, ct).ConfigureAwait(false);
            if (response.Items is { } page)
            {
                items.AddRange(page);
            }
            request.ExclusiveStartKey = response.LastEvaluatedKey is { Count: > 0 } next ? next : null;
        }
        while (request.ExclusiveStartKey is not null && items.Count < max);
        return items;
    }

    /// <summary>Every item of a Query, following LastEvaluatedKey.</summary>
    public static async Task<List<Dictionary<string, AttributeValue>>> QueryAllAsync(IAmazonDynamoDB db, QueryRequest request, CancellationToken ct)
    {
        var items = new List<Dictionary<string, AttributeValue>>();
        do
        {
            var response = await db.QueryAsync(request, ct).ConfigureAwait(false);
            if (response.Items is { } page)
            {
                items.AddRange(page);
            }
            request.ExclusiveStartKey = response.LastEvaluatedKey is { Count: > 0 } next ? next : null;
        }
        while (request.ExclusiveStartKey is not null);
        return items;
    }

    /// <summary>
    /// Writes requests with BatchWriteItem, 25 per call (its limit), resubmitting UnprocessedItems
    /// (throttled parts of a batch) with a growing pause until all are done.
    /// </summary>
    public static async Task BatchWriteAllAsync(IAmazonDynamoDB db, string table, IReadOnlyList<WriteRequest> writes, CancellationToken ct)
    {
        for (int start = 0; start < writes.Count; start += 25)
        {
            var pending = new Dictionary<string, List<WriteRequest>>
            {
                [table] = [.. writes.Skip(start).Take(25)],
            };
            int attempt = 0;
            while (pending.Count > 0 && pending.Values.Sum(v => v.Count) > 0)
            {
                if (attempt > 0)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(1000, 25 << Math.Min(attempt, 6))), ct).ConfigureAwait(false);
                }
                var response = await db.BatchWriteItemAsync(new BatchWriteItemRequest { RequestItems = pending }, ct).ConfigureAwait(false);
                pending = response.UnprocessedItems ?? [];
                attempt++;
            }
        }
    }
}
