namespace ZkGateway.Backend.Primitives;

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
