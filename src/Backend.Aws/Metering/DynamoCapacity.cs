using Amazon.DynamoDBv2.Model;
using Amazon.Runtime;

namespace ZkGateway.Backend.Aws;

/// <summary>
/// The read and write capacity units one DynamoDB request consumed. Every request that supports it asks
/// for them (<see cref="ConsumedCapacityRequests"/>: ReturnConsumedCapacity=TOTAL) and the answer is
/// taken as the bill, read and write apart (transactions report both). Computed instead from AWS's
/// documented size rules (<see cref="DynamoItemSize"/>):
/// <list type="bullet">
/// <item>a failed request: a failed condition on PutItem/UpdateItem/DeleteItem still consumes a write
/// unit per KB of the existing item (counted as one: ours are small system items); a cancelled
/// transaction is counted as if it had been written (assumed: its answer carries no capacity); other
/// errors (throttling, validation, service faults) are not billed;</item>
/// <item>on an emulator (documentedRules), TransactWriteItems and BatchGetItem:
/// DynamoDB Local 1.25.1 reports 4 units for a one-item transaction of a small item (AWS: 2), sums
/// several items inconsistently and reports nothing for a small ConditionCheck (AWS: 2), and counts
/// no unit for a key BatchGetItem does not find (AWS: one, or a half if eventually consistent);
/// measured by <c>tests/Aws.Tests/ConsumedCapacityTests.cs</c>.</item>
/// </list>
/// A transaction item costs two write units per KB (Put: of the new item; Update: of the key and the
/// values set, a lower bound when the stored item is larger, which ours, system items, are not;
/// Delete and ConditionCheck: two).
/// </summary>
internal static class DynamoCapacity
{
    public static (double Read, double Write) Of(AmazonWebServiceRequest request, AmazonWebServiceResponse? response, Exception? error, bool documentedRules)
    {
        if (error is not null)
        {
            return OfFailure(request, error);
        }
        if (documentedRules)
        {
            switch (request)
            {
                case TransactWriteItemsRequest transaction:
                    return (0, TransactionWriteUnits(transaction));
                case BatchGetItemRequest batch when response is BatchGetItemResponse found:
                    return (BatchGetUnits(batch, found), 0);
            }
        }
        var reported = Reported(response);
        if (reported is null)
        {
            return Documented(request, response);
        }
        bool readApi = Metering.Prices.IsDynamoRead(ApiName(request));
        double read = 0, write = 0;
        foreach (var capacity in reported)
        {
            if (capacity is null)
            {
                continue;
            }
            if (capacity.ReadCapacityUnits is not null || capacity.WriteCapacityUnits is not null)
            {
                read += capacity.ReadCapacityUnits ?? 0;
                write += capacity.WriteCapacityUnits ?? 0;
            }
            else if (readApi)
            {
                read += capacity.CapacityUnits ?? 0;
            }
            else
            {
                write += capacity.CapacityUnits ?? 0;
            }
        }
        return (read, write);
    }

    private static string ApiName(AmazonWebServiceRequest request)
    {
        string name = request.GetType().Name;
        return name.EndsWith("Request", StringComparison.Ordinal) ? name[..^"Request".Length] : name;
    }

    /// <summary>What the answer says it consumed, or null if it says nothing.</summary>
    private static IReadOnlyList<ConsumedCapacity?>? Reported(AmazonWebServiceResponse? response) => response switch
    {
        GetItemResponse r when r.ConsumedCapacity is { } c => [c],
        PutItemResponse r when r.ConsumedCapacity is { } c => [c],
        UpdateItemResponse r when r.ConsumedCapacity is { } c => [c],
        DeleteItemResponse r when r.ConsumedCapacity is { } c => [c],
        QueryResponse r when r.ConsumedCapacity is { } c => [c],
        ScanResponse r when r.ConsumedCapacity is { } c => [c],
        BatchGetItemResponse r when r.ConsumedCapacity is { } l => l,
        BatchWriteItemResponse r when r.ConsumedCapacity is { } l => l,
        TransactWriteItemsResponse r when r.ConsumedCapacity is { } l => l,
        TransactGetItemsResponse r when r.ConsumedCapacity is { } l => l,
        _ => null,
    };

    private static (double Read, double Write) OfFailure(AmazonWebServiceRequest request, Exception error) => (request, error) switch
    {
        (PutItemRequest or UpdateItemRequest or DeleteItemRequest, ConditionalCheckFailedException) => (0, 1),
        (TransactWriteItemsRequest transaction, TransactionCanceledException) => (0, TransactionWriteUnits(transaction)),
        (TransactGetItemsRequest get, TransactionCanceledException) => (2.0 * (get.TransactItems?.Count ?? 0), 0),
        _ => (0, 0),
    };

    /// <summary>Two write units per KB of each item (see the class summary for Update, Delete and ConditionCheck).</summary>
    public static long TransactionWriteUnits(TransactWriteItemsRequest transaction)
    {
        long units = 0;
        foreach (var item in transaction.TransactItems ?? [])
        {
            long bytes = item switch
            {
                { Put: { } put } => DynamoItemSize.Of(put.Item),
                { Update: { } update } => DynamoItemSize.Of(update.Key) + (update.ExpressionAttributeValues?.Values.Sum(DynamoItemSize.OfValue) ?? 0),
                _ => 0,
            };
            units += 2 * DynamoItemSize.WriteUnits(bytes);
        }
        return units;
    }

    /// <summary>Per key asked for: the units of the item found, or of a 0-byte item when none was (keys left unprocessed are not read).</summary>
    private static double BatchGetUnits(BatchGetItemRequest batch, BatchGetItemResponse found)
    {
        double units = 0;
        foreach (var (table, keys) in batch.RequestItems ?? [])
        {
            double factor = keys.ConsistentRead == true ? 1 : 0.5;
            var items = found.Responses?.GetValueOrDefault(table) ?? [];
            int unprocessed = found.UnprocessedKeys?.GetValueOrDefault(table)?.Keys?.Count ?? 0;
            int missing = Math.Max(0, (keys.Keys?.Count ?? 0) - unprocessed - items.Count);
            units += factor * (items.Sum(i => DynamoItemSize.ReadUnits(DynamoItemSize.Of(i))) + missing);
        }
        return units;
    }

    /// <summary>The documented rules, for an answer that reports no capacity.</summary>
    private static (double Read, double Write) Documented(AmazonWebServiceRequest request, AmazonWebServiceResponse? response) => (request, response) switch
    {
        (GetItemRequest get, GetItemResponse r) => ((get.ConsistentRead == true ? 1 : 0.5) * DynamoItemSize.ReadUnits(DynamoItemSize.Of(r.Item)), 0),
        (PutItemRequest put, _) => (0, DynamoItemSize.WriteUnits(DynamoItemSize.Of(put.Item))),
        (QueryRequest query, QueryResponse r) => ((query.ConsistentRead == true ? 1 : 0.5) * DynamoItemSize.ReadUnits(r.Items?.Sum(DynamoItemSize.Of) ?? 0), 0),
        (ScanRequest scan, ScanResponse r) => ((scan.ConsistentRead == true ? 1 : 0.5) * DynamoItemSize.ReadUnits(r.Items?.Sum(DynamoItemSize.Of) ?? 0), 0),
        (BatchGetItemRequest batch, BatchGetItemResponse r) => (BatchGetUnits(batch, r), 0),
        (BatchWriteItemRequest batch, _) => (0, batch.RequestItems?.Values.Sum(l => l.Sum(w => w.PutRequest is { } p ? DynamoItemSize.WriteUnits(DynamoItemSize.Of(p.Item)) : 1)) ?? 0),
        (TransactWriteItemsRequest transaction, _) => (0, TransactionWriteUnits(transaction)),
        (TransactGetItemsRequest get, TransactGetItemsResponse r) => (2.0 * (r.Responses?.Sum(i => DynamoItemSize.ReadUnits(DynamoItemSize.Of(i.Item))) ?? get.TransactItems?.Count ?? 0), 0),
        _ => Metering.Prices.IsDynamoRead(ApiName(request)) ? (1, 0) : (0, 1),
    };
}
