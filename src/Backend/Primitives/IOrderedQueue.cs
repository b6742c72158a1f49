namespace ZkGateway.Backend.Primitives;

/// <summary>
/// A FIFO queue with one total order (SQS FIFO with one message group; an in-process channel when
/// embedded). The single consumer receives batches in order and acknowledges each one after handling
/// it. Delivery is at least once: a batch that was not acknowledged (its consumer crashed) is delivered
/// again, so consumers must be idempotent (the writer deduplicates by reply address, the distributor by
/// zxid).
/// </summary>
public interface IOrderedQueue<T>
{
    ValueTask SendAsync(T message, CancellationToken cancellationToken = default);

    /// <summary>Sends several messages, in order (SQS: SendMessageBatch, 10 per call).</summary>
    async ValueTask SendBatchAsync(IReadOnlyList<T> messages, CancellationToken cancellationToken = default)
    {
        foreach (var message in messages)
        {
            await SendAsync(message, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Waits for at least one message, then returns up to <paramref name="maxBatch"/> in order. An empty
    /// batch means the queue was completed and drained.
    /// </summary>
    ValueTask<QueueBatch<T>> ReceiveBatchAsync(int maxBatch, CancellationToken cancellationToken = default);

    /// <summary>Removes a handled batch for good (SQS: DeleteMessageBatch). Until then it may come again.</summary>
    ValueTask AcknowledgeAsync(QueueBatch<T> batch, CancellationToken cancellationToken = default);

    /// <summary>Completes the queue: the consumer drains what is left and stops.</summary>
    void Complete();
}
