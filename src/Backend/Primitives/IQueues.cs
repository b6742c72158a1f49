namespace ZkGateway.Backend.Primitives;

/// <summary>
/// A FIFO queue with one total order (SQS FIFO with one message group; an in-process channel when
/// embedded). The consumer receives batches in order and acknowledges them.
/// </summary>
public interface IOrderedQueue<T>
{
    ValueTask SendAsync(T message, CancellationToken cancellationToken = default);

    /// <summary>Waits for at least one message, then returns up to <paramref name="maxBatch"/> in order.</summary>
    ValueTask<IReadOnlyList<T>> ReceiveBatchAsync(int maxBatch, CancellationToken cancellationToken = default);

    /// <summary>Completes the queue: the consumer drains what is left and stops.</summary>
    void Complete();
}

/// <summary>The channel from functions back to a gateway (its inbox): write replies.</summary>
public interface IGatewayChannel
{
    void SendReply(ReplyAddress address, WriteResult result);
}
