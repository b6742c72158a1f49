using Microsoft.Extensions.Logging;
using ZkGateway.Backend.Primitives;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.Gateway.Connections;

/// <summary>
/// ZooKeeper's FIFO client order for one connection. The reply slot is reserved by the caller, in
/// request order; this decides when the request runs. A read runs once the previous request has
/// completed, so it sees the session's earlier writes; a write enters the writer queue once the
/// previous request has started (a read completed, a write submitted), so it never overtakes an
/// earlier read. When nothing is pending, both run inline.
/// <para>
/// Owned by the connection's read loop: <see cref="Read{TState}"/> and <see cref="Write{TState}"/>
/// are called only from there, one request at a time. A request whose task faults is answered
/// SystemError (zxid 0), and the fault is logged.
/// </para>
/// </summary>
internal sealed class RequestScheduler
{
    private readonly ZkConnection _connection;
    private readonly ILogger _logger;

    // Completion of the previous request (its reply computed). A read waits for it, so it sees every
    // earlier write of the session and never older state than an earlier read.
    private Task _previousCompleted = Task.CompletedTask;

    // The previous request's start in the total order: a read's completion, a write's submission.
    // A write waits for it before entering the writer queue, so it cannot overtake an earlier read.
    private Task _previousStarted = Task.CompletedTask;

    public RequestScheduler(ZkConnection connection, ILogger logger)
    {
        _connection = connection;
        _logger = logger;
    }

    /// <summary>
    /// Completes once every request scheduled so far has its reply computed. Read after the read loop
    /// has ended: a read still queued behind a write may yet register a watch.
    /// </summary>
    public Task Completed => _previousCompleted;

    private OutboundQueue Outbound => _connection.Outbound;

    public void Read(OutboundQueue.Slot slot, Func<ValueTask<Reply>> run) =>
        Read(slot, run, static run => run());

    /// <summary>
    /// Runs a read in its turn. The state-passing form lets the hot reads use a static lambda: when the
    /// previous request has completed and the backend answers at once, nothing is allocated here.
    /// </summary>
    public void Read<TState>(OutboundQueue.Slot slot, TState state, Func<TState, ValueTask<Reply>> run)
    {
        var previous = _previousCompleted;
        Task done = previous.IsCompleted ? RunNow(slot, state, run) : RunAfter(previous, slot, state, run);
        _previousCompleted = done;
        _previousStarted = done;
    }

    public void Write(OutboundQueue.Slot slot, Func<ValueTask<Reply>> submit, bool close = false) =>
        Write(slot, submit, static submit => submit(), close);

    /// <summary>
    /// Submits a write in its turn: at once when the previous request has started, else once it has.
    /// The state-passing form lets the hot writes use a static lambda (no closure on the direct path).
    /// <paramref name="close"/>: the connection closes once this reply is written (closeSession).
    /// </summary>
    public void Write<TState>(OutboundQueue.Slot slot, TState state, Func<TState, ValueTask<Reply>> submit, bool close = false)
    {
        var previousStarted = _previousStarted;
        ValueTask<Reply> result;
        Task submitted;
        if (previousStarted.IsCompleted)
        {
            Outbound.MarkSubmitted(slot);
            result = submit(state);
            submitted = Task.CompletedTask;
        }
        else
        {
            (result, submitted) = SubmitWhenStarted(previousStarted, slot, state, submit);
        }
        _previousStarted = submitted;
        _previousCompleted = Finish(result, slot, close);
    }

    private Task RunNow<TState>(OutboundQueue.Slot slot, TState state, Func<TState, ValueTask<Reply>> run)
    {
        var pending = run(state);
        if (pending.IsCompletedSuccessfully)
        {
            var reply = pending.Result;
            Outbound.Complete(slot, reply.Zxid, reply.Error, reply.Body);
            return Task.CompletedTask;
        }
        return Finish(pending, slot);
    }

    private async Task RunAfter<TState>(Task previous, OutboundQueue.Slot slot, TState state, Func<TState, ValueTask<Reply>> run)
    {
        await previous.ConfigureAwait(false);
        await Finish(run(state), slot).ConfigureAwait(false);
    }

    private async Task Finish(ValueTask<Reply> pending, OutboundQueue.Slot slot, bool close = false)
    {
        Reply reply;
        try
        {
            reply = await pending.ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            // Storage that failed or could not be reached: not made durable (a full disk, a failed
            // fsync: StorageUnavailableException), or a cloud store that did not answer (DynamoDB
            // down, a dropped connection). The client cannot know whether a write took effect, and a
            // read has nothing true to say, so no answer but ConnectionLoss, as ZooKeeper closes on an
            // IOException; the client then tries again, which a SystemError would not make it do.
            ConnectionLog.NotDurable(_logger, _connection.SessionId, (OpCode)slot.OpType, slot.Xid, e.Message);
            Outbound.CompleteWithoutReply(slot);
            return;
        }
        catch (Exception e)
        {
            // Logged before the slot is completed: once written, it may be reused for another request.
            ConnectionLog.RequestFailed(_logger, _connection.SessionId, (OpCode)slot.OpType, slot.Xid, e);
            reply = new Reply(0, ErrorCode.SystemError, ReplyBody.None);
        }
        Outbound.Complete(slot, reply.Zxid, reply.Error, reply.Body, close);
    }

    // Apart from Write: its lambda's closure would otherwise be allocated on every call, direct ones too.
    private (ValueTask<Reply> Result, Task Submitted) SubmitWhenStarted<TState>(Task previousStarted, OutboundQueue.Slot slot, TState state, Func<TState, ValueTask<Reply>> submit)
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var result = SubmitAfter(previousStarted, gate, () =>
        {
            Outbound.MarkSubmitted(slot);
            return submit(state);
        });
        return (new ValueTask<Reply>(result), gate.Task);
    }

    private static async Task<Reply> SubmitAfter(Task previous, TaskCompletionSource gate, Func<ValueTask<Reply>> submit)
    {
        await previous.ConfigureAwait(false);
        ValueTask<Reply> result;
        try
        {
            result = submit();
        }
        finally
        {
            gate.TrySetResult();
        }
        return await result.ConfigureAwait(false);
    }
}
