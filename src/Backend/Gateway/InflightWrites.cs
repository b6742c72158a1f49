using System.Collections.Concurrent;
using System.Diagnostics;
using ZkGateway.Backend.Diagnostics;
using ZkGateway.Backend.Metering;
using ZkGateway.Backend.Primitives;

namespace ZkGateway.Backend.Gateway;

/// <summary>
/// The gateway's writes on their way through the functions: each gets a request id (its reply
/// address), is sent to the writer queue, and completes when its reply comes back (the inbox, or the
/// in-process distributor). Implements the gateway's end of <see cref="IGatewayChannel"/>.
/// <c>deferReplies</c>: the replies come inside the in-process distributor's apply step (see
/// <see cref="_deferred"/>). <c>demand</c> (with an inbox) is told of every write, whose reply the inbox must then wait for.
/// </summary>
internal sealed class InflightWrites(IOrderedQueue<WriteRequest> writerQueue, string gatewayId, INotificationSink sink, bool deferReplies, InboxDemand? demand = null) : IGatewayChannel
{
    private readonly ConcurrentDictionary<long, InflightWrite> _inflight = new();
    private long _nextRequestId;

    /// <summary>Writes waiting for their reply.</summary>
    public int Count => _inflight.Count;

    /// <summary>
    /// Embedded: replies the distributor has ordered but not completed yet. The distributor sends them
    /// inside user storage's apply step (under its write lock), so their waiters' continuations must not
    /// run there; <see cref="CompleteDeferred"/> completes them right after that step, on the
    /// distributor's thread, with the continuations inline (filling the reply slot) instead of one
    /// thread-pool hop per write. Null (AWS): each reply completes at once, continuations on the pool.
    /// </summary>
    private readonly List<(InflightWrite Write, WriteResult Result)>? _deferred = deferReplies ? [] : null;

    /// <summary>
    /// A write waiting for its reply. <see cref="FromClient"/>: submitted for the session's client (its
    /// connection holds a reply slot for it), as opposed to the gateway's own closes and session creations.
    /// </summary>
    private sealed class InflightWrite(long sessionId, bool fromClient, TaskCreationOptions options) : TaskCompletionSource<WriteResult>(options)
    {
        public long SessionId { get; } = sessionId;

        public bool FromClient { get; } = fromClient;

        /// <summary>The write's <see cref="CloudTrace.GatewayWriteSpan"/>, when someone listens.</summary>
        public Activity? Span { get; set; }
    }

    /// <summary>Sends a write to the writer queue; the task completes with its reply.</summary>
    public Task<WriteResult> Submit(long sessionId, WriteOperation operation, CallerIdentity? caller, bool fromClient, CancellationToken cancellationToken)
    {
        using var charge = CostMeter.Begin(CostMeter.NameOf(operation));
        long requestId = Interlocked.Increment(ref _nextRequestId);
        var completion = new InflightWrite(sessionId, fromClient, _deferred is null ? TaskCreationOptions.RunContinuationsAsynchronously : TaskCreationOptions.None);
        _inflight[requestId] = completion;
        demand?.Signal();
        var previous = Activity.Current;
        // Current while the send starts, so the queue's sender (and its cloud calls) run inside it.
        completion.Span = CloudTrace.StartGatewayWrite(CostMeter.NameOf(operation), CloudTrace.RequestKey(gatewayId, requestId));
        ValueTask send;
        try
        {
            send = writerQueue.SendAsync(new WriteRequest(sessionId, operation, new ReplyAddress(gatewayId, requestId), caller ?? CallerIdentity.Anonymous), cancellationToken);
        }
        finally
        {
            if (completion.Span is not null)
            {
                Activity.Current = previous;
            }
        }
        if (!send.IsCompletedSuccessfully)
        {
            return AwaitSend(send, completion, requestId);
        }
        return completion.Task;
    }

    private async Task<WriteResult> AwaitSend(ValueTask send, InflightWrite completion, long requestId)
    {
        try
        {
            await send.ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The queue could not be reached (a partition, the SDK's retries spent). The message may
            // still have landed with its answer lost, so the outcome is unknown: ConnectionLoss, not
            // an error that says the write failed. A reply that comes after all finds nobody waiting.
            _inflight.TryRemove(requestId, out _);
            CloudTrace.End(completion.Span);
            throw new StorageUnavailableException($"the write could not be sent to the writer queue: {e.Message}", untilRestart: false, e);
        }
        return await completion.Task.ConfigureAwait(false);
    }

    /// <summary>A function's reply to one of this gateway's requests; one nobody waits for any more is dropped.</summary>
    public void SendReply(ReplyAddress address, WriteResult result)
    {
        if (_inflight.TryRemove(address.RequestId, out var completion))
        {
            CloudTrace.End(completion.Span);
            if (completion.FromClient)
            {
                sink.WriteOrdered(completion.SessionId, result.Zxid);
            }
            if (_deferred is { } deferred)
            {
                lock (deferred)
                {
                    deferred.Add((completion, result));
                }
                return;
            }
            completion.TrySetResult(result);
        }
    }

    /// <summary>Completes the replies <see cref="SendReply"/> deferred, in order (embedded; see <see cref="_deferred"/>).</summary>
    public void CompleteDeferred()
    {
        var deferred = _deferred!;
        (InflightWrite Write, WriteResult Result)[] ready;
        lock (deferred)
        {
            if (deferred.Count == 0)
            {
                return;
            }
            // A copy: a continuation that submits again never touches the list being completed.
            ready = [.. deferred];
            deferred.Clear();
        }
        foreach (var (write, result) in ready)
        {
            write.TrySetResult(result);
        }
    }

    /// <summary>A write the functions could not make durable: its waiter gets <paramref name="error"/> (the client, ConnectionLoss).</summary>
    public void Fail(ReplyAddress address, Exception error)
    {
        if (_inflight.TryRemove(address.RequestId, out var completion))
        {
            completion.Span?.SetTag(CloudTrace.ErrorTag, error.Message);
            CloudTrace.End(completion.Span);
            completion.TrySetException(error);
        }
    }

    /// <summary>Stopping: every write still waiting is cancelled.</summary>
    public void CancelAll()
    {
        foreach (var pending in _inflight.Values)
        {
            pending.Span?.SetTag(CloudTrace.ErrorTag, "cancelled");
            CloudTrace.End(pending.Span);
            pending.TrySetCanceled();
        }
    }
}
