using ZkGateway.Backend.Functions;
using ZkGateway.Backend.Primitives;

namespace ZkGateway.Backend.Tests;

/// <summary>The writer queue's sending side: records what is sent, can fail, and can answer each write as the functions would.</summary>
internal sealed class RecordingWriterQueue : IOrderedQueue<WriteRequest>
{
    private readonly List<WriteRequest> _sent = [];

    public IReadOnlyList<WriteRequest> Sent
    {
        get
        {
            lock (_sent)
            {
                return [.. _sent];
            }
        }
    }

    /// <summary>Sends fail (the queue is unreachable).</summary>
    public bool Failing { get; set; }

    /// <summary>Called with each write sent: a test answers it here.</summary>
    public Action<WriteRequest>? Answer { get; set; }

    public ValueTask SendAsync(WriteRequest message, CancellationToken cancellationToken = default)
    {
        if (Failing)
        {
            throw new IOException("the queue is unreachable");
        }
        lock (_sent)
        {
            _sent.Add(message);
        }
        Answer?.Invoke(message);
        return ValueTask.CompletedTask;
    }

    public ValueTask<QueueBatch<WriteRequest>> ReceiveBatchAsync(int maxBatch, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public ValueTask AcknowledgeAsync(QueueBatch<WriteRequest> batch, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public void Complete()
    {
    }
}
