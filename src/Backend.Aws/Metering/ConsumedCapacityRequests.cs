using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.Runtime;
using Amazon.Runtime.Internal;

namespace ZkGateway.Backend.Aws;

/// <summary>
/// A DynamoDB client pipeline step before marshalling: every request that can report the capacity it
/// consumed is asked to (ReturnConsumedCapacity=TOTAL, unless the caller chose), so that the cost meter
/// counts DynamoDB's own figure (<see cref="DynamoCapacity"/>). The answer grows by a few bytes.
/// </summary>
internal sealed class ConsumedCapacityRequests : PipelineHandler
{
    public override void InvokeSync(IExecutionContext executionContext)
    {
        Ask(executionContext.RequestContext.OriginalRequest);
        base.InvokeSync(executionContext);
    }

    public override Task<T> InvokeAsync<T>(IExecutionContext executionContext)
    {
        Ask(executionContext.RequestContext.OriginalRequest);
        return base.InvokeAsync<T>(executionContext);
    }

    private static void Ask(AmazonWebServiceRequest request)
    {
        var total = ReturnConsumedCapacity.TOTAL;
        switch (request)
        {
            case GetItemRequest r: r.ReturnConsumedCapacity ??= total; break;
            case PutItemRequest r: r.ReturnConsumedCapacity ??= total; break;
            case UpdateItemRequest r: r.ReturnConsumedCapacity ??= total; break;
            case DeleteItemRequest r: r.ReturnConsumedCapacity ??= total; break;
            case QueryRequest r: r.ReturnConsumedCapacity ??= total; break;
            case ScanRequest r: r.ReturnConsumedCapacity ??= total; break;
            case BatchGetItemRequest r: r.ReturnConsumedCapacity ??= total; break;
            case BatchWriteItemRequest r: r.ReturnConsumedCapacity ??= total; break;
            case TransactWriteItemsRequest r: r.ReturnConsumedCapacity ??= total; break;
            case TransactGetItemsRequest r: r.ReturnConsumedCapacity ??= total; break;
        }
    }
}
