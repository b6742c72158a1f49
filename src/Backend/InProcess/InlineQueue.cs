using ZkGateway.Backend.Primitives;

namespace ZkGateway.Backend.InProcess;

/// <summary>
/// The embedded distributor queue: sending a batch runs its consumer (the distributor function's
/// <c>HandleBatchAsync</c>) on the sender's thread before the send returns. The writer function is the
/// only sender and sends one batch at a time, in zxid order, so batches are handled in that order with
/// nothing in between; the queue is always empty. This saves a channel hand-off and a thread wake-up
/// per writer batch: with the user rows written by the writer's commit, the distributor's work is in
/// memory only (apply, fire watches, reply) and short next to the commit's fsync.
/// <para>
/// The functions and their contract are unchanged: the same <c>HandleBatchAsync</c> that consumes SQS
/// on AWS runs here, only without the queue between the two.
/// </para>
/// </summary>
public sealed class InlineQueue<T>(Func<IReadOnlyList<T>, CancellationToken, Task> consumer) : IOrderedQueue<T>
{
    private int _completed;

    public ValueTask SendAsync(T message, CancellationToken cancellationToken = default) =>
        SendBatchAsync([message], cancellationToken);

    public ValueTask SendBatchAsync(IReadOnlyList<T> messages, CancellationToken cancellationToken = default)
    {
        if (Volatile.Read(ref _completed) != 0)
        {
            throw new InvalidOperationException("The queue is closed.");
        }
        return messages.Count == 0 ? ValueTask.CompletedTask : new ValueTask(consumer(messages, cancellationToken));
    }

    /// <summary>Nothing is ever queued: every batch was handled when it was sent.</summary>
    public ValueTask<QueueBatch<T>> ReceiveBatchAsync(int maxBatch, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(QueueBatch<T>.Empty);

    public ValueTask AcknowledgeAsync(QueueBatch<T> batch, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

    public void Complete() => Volatile.Write(ref _completed, 1);
}
