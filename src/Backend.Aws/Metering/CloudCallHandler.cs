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
        var (started, counted) = Begin(executionContext, binding);
        try
        {
            base.InvokeSync(executionContext);
        }
        catch (Exception e)
        {
            Record(executionContext, counted, started, null, e);
            throw;
        }
        Record(executionContext, counted, started, executionContext.ResponseContext.Response, null);
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
        var (started, counted) = Begin(executionContext, binding);
        T response;
        try
        {
            response = await InnerHandler.InvokeAsync<T>(executionContext).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            Record(executionContext, counted, started, null, e);
            throw;
        }
        Record(executionContext, counted, started, response, null);
        return response;
    }

    /// <summary>
    /// The attempt is counted as it leaves, as the service counts it (a long poll in flight is a
    /// request already); one whose token is already cancelled never leaves.
    /// </summary>
    private (DateTime Started, AwsCostMetering.Binding? Counted) Begin(IExecutionContext executionContext, AwsCostMetering.Binding? binding)
    {
        if (binding is null || executionContext.RequestContext.CancellationToken.IsCancellationRequested)
        {
            return (DateTime.UtcNow, null);
        }
        binding.Meter.CountCall(service, ApiOf(executionContext.RequestContext.OriginalRequest));
        return (DateTime.UtcNow, binding);
    }

    private static string ApiOf(AmazonWebServiceRequest request) =>
        ApiNames.GetOrAdd(request.GetType(), static t => t.Name.EndsWith("Request", StringComparison.Ordinal) ? t.Name[..^"Request".Length] : t.Name);

    private void Record(IExecutionContext executionContext, AwsCostMetering.Binding? binding, DateTime started, AmazonWebServiceResponse? response, Exception? error)
    {
        var ended = DateTime.UtcNow;
        var request = executionContext.RequestContext.OriginalRequest;
        string api = ApiOf(request);
        long units = 1;
        double read = 0, write = 0;
        switch (service)
        {
            case "dynamodb":
                units = 0;
                (read, write) = DynamoCapacity.Of(request, response, error, binding?.DocumentedRules ?? false);
                break;
            case "sqs":
                units = SqsRequestUnits.Of(request, response);
                break;
        }
        binding?.Meter.AddUnits(service, api, units, read, write);
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
