namespace ZkGateway.Backend.Primitives;

/// <summary>
/// A received batch: the messages in queue order, and what the provider needs to acknowledge them
/// (SQS receipt handles; nothing for an in-process channel).
/// </summary>
public sealed class QueueBatch<T>(IReadOnlyList<T> messages, object? receipts = null, int delivery = 1)
{
    public static readonly QueueBatch<T> Empty = new([]);

    public IReadOnlyList<T> Messages { get; } = messages;

    /// <summary>Provider-specific acknowledgement state.</summary>
    public object? Receipts { get; } = receipts;

    public int Count => Messages.Count;

    /// <summary>
    /// Which delivery of this batch it is (1 = first): SQS's receive count of its first message, which a
    /// batch redelivered after its consumer died or stalled shares with no earlier delivery. Queues that
    /// never deliver twice say 1.
    /// </summary>
    public int Delivery { get; } = delivery;
}
