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

/// <summary>
/// A received batch: the messages in queue order, and what the provider needs to acknowledge them
/// (SQS receipt handles; nothing for an in-process channel).
/// </summary>
public sealed class QueueBatch<T>(IReadOnlyList<T> messages, object? receipts = null)
{
    public static readonly QueueBatch<T> Empty = new([]);

    public IReadOnlyList<T> Messages { get; } = messages;

    /// <summary>Provider-specific acknowledgement state.</summary>
    public object? Receipts { get; } = receipts;

    public int Count => Messages.Count;
}

/// <summary>
/// How a message travels through a cloud queue: a compact binary body (sent base64-encoded) and the
/// deduplication id that lets the queue drop a resend of the same message (SQS FIFO keeps ids 5 min).
/// </summary>
public interface IMessageCodec<T>
{
    byte[] Encode(T message);

    T Decode(ReadOnlySpan<byte> body);

    string DeduplicationId(T message);
}

/// <summary>The channel from functions back to a gateway (its inbox): write replies.</summary>
public interface IGatewayChannel
{
    void SendReply(ReplyAddress address, WriteResult result);
}
