using System.Collections.Concurrent;
using Amazon.Runtime;
using Amazon.Runtime.Internal;
using ZkGateway.Backend.Diagnostics;
using ZkGateway.Backend.Metering;

namespace ZkGateway.Backend.Aws;

/// <summary>
/// A step of each SDK client's pipeline inside its retry loop, so it sees every attempt the service
/// received: counts it in the client's cost meter with its billing units (DynamoDB's consumed
/// capacity, SQS's 64 KB chunks, one S3 request) and, when someone listens, records it as a
/// <see cref="CloudTrace"/> span with its start and end. A client with no meter and no listener pays
/// one table lookup per attempt.
/// </summary>
internal sealed class CloudCallHandler(string service) : PipelineHandler
{
    private static readonly ConcurrentDictionary<Type, string> ApiNames = new();

    public override void InvokeSync(IExecutionContext executionContext)
    {
        var binding = AwsCostMetering.BindingOf(executionContext.RequestContext.ClientConfig);
        if (binding is null && !CloudTrace.Source.HasListeners())
        {
            base.InvokeSync(executionContext);
            return;
        }
        var started = DateTime.UtcNow;
        try
        {
            base.InvokeSync(executionContext);
        }
        catch (Exception e)
        {
            Record(executionContext, binding, started, null, e);
            throw;
        }
        Record(executionContext, binding, started, executionContext.ResponseContext.Response, null);
    }

    public override Task<T> InvokeAsync<T>(IExecutionContext executionContext)
    {
        var binding = AwsCostMetering.BindingOf(executionContext.RequestContext.ClientConfig);
        if (binding is null && !CloudTrace.Source.HasListeners())
        {
            return base.InvokeAsync<T>(executionContext);
        }
        return MeasuredAsync<T>(executionContext, binding);
    }

    private async Task<T> MeasuredAsync<T>(IExecutionContext executionContext, AwsCostMetering.Binding? binding)
        where T : AmazonWebServiceResponse, new()
    {
        var started = DateTime.UtcNow;
        T response;
        try
        {
            response = await InnerHandler.InvokeAsync<T>(executionContext).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            Record(executionContext, binding, started, null, e);
            throw;
        }
        Record(executionContext, binding, started, response, null);
        return response;
    }

    private void Record(IExecutionContext executionContext, AwsCostMetering.Binding? binding, DateTime started, AmazonWebServiceResponse? response, Exception? error)
    {
        var ended = DateTime.UtcNow;
        var request = executionContext.RequestContext.OriginalRequest;
        string api = ApiNames.GetOrAdd(request.GetType(), static t => t.Name.EndsWith("Request", StringComparison.Ordinal) ? t.Name[..^"Request".Length] : t.Name);
        long units = 1;
        double read = 0, write = 0;
        switch (service)
        {
            case "dynamodb":
                (read, write) = DynamoCapacity.Of(request, response, error, binding?.DocumentedRules ?? false);
                binding?.Meter.CountCapacity(service, api, read, write);
                break;
            case "sqs":
                units = SqsRequestUnits.Of(request, response);
                binding?.Meter.Count(service, api, units);
                break;
            default:
                binding?.Meter.Count(service, api, units);
                break;
        }
        if (!CloudTrace.Source.HasListeners())
        {
            return;
        }
        var call = new CloudTrace.Call(service, api, started, ended)
        {
            Units = units,
            ReadUnits = read,
            WriteUnits = write,
            Error = error is null ? null : (error as AmazonServiceException)?.ErrorCode ?? error.GetType().Name,
        };
        if (service == "sqs")
        {
            var (messages, deduplication) = SqsRequestUnits.MessagesOf(request, response);
            call = call with { Queue = SqsRequestUnits.QueueOf(request), Messages = messages, Deduplication = deduplication };
        }
        CloudTrace.RecordCall(call, CostMeter.Operation);
    }
}
