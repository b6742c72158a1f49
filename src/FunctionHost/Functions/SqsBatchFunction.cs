using ZkGateway.FunctionHost.Lambda;

namespace ZkGateway.FunctionHost.Functions;

/// <summary>
/// Processes one SQS batch, in order, and returns how many records (a prefix of the batch) were handled
/// before the first one that was not. It returns early, with the count so far, when a record fails or the
/// token is cancelled (the deadline is near); it throws only when it cannot tell what was handled.
/// </summary>
public delegate Task<int> SqsBatchProcessor(IReadOnlyList<SqsRecord> records, InvocationContext context,
    CancellationToken cancellationToken);

/// <summary>
/// Adapts an ordered batch processor (the writer, the distributor) to a Lambda SQS trigger with
/// <c>ReportBatchItemFailures</c>: parses the event, runs the processor, and answers with the records that
/// must stay on the queue — the first unprocessed one and every record after it (the FIFO rule, see
/// <see cref="SqsBatchResponse.ForProcessedPrefix"/>).
/// </summary>
/// <remarks>
/// A malformed event or a processor exception fails the invocation (the host posts an error), and Lambda
/// then returns the whole batch to the queue, which for a FIFO queue is the same as reporting every record.
/// </remarks>
public sealed class SqsBatchFunction(string name, SqsBatchProcessor processor) : IFunctionHandler
{
    public string Name { get; } = name;

    public async Task<string> HandleAsync(ReadOnlyMemory<byte> eventJson, InvocationContext context,
        CancellationToken cancellationToken)
    {
        var records = SqsEvent.Parse(eventJson.Span).Records!;
        var processed = records.Count == 0
            ? 0
            : await processor(records, context, cancellationToken).ConfigureAwait(false);
        return SqsBatchResponse.ForProcessedPrefix(records, processed).ToJson();
    }
}

/// <summary>
/// A function on a schedule (the heartbeat, on EventBridge <c>rate(1 minute)</c>): the event carries
/// nothing we need, so the action takes only the context; the response is an empty object.
/// </summary>
public sealed class ScheduledFunction(string name, Func<InvocationContext, CancellationToken, Task> action) : IFunctionHandler
{
    public string Name { get; } = name;

    public async Task<string> HandleAsync(ReadOnlyMemory<byte> eventJson, InvocationContext context,
        CancellationToken cancellationToken)
    {
        await action(context, cancellationToken).ConfigureAwait(false);
        return "{}";
    }
}
