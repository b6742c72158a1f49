using System.Threading.Channels;
using ZkGateway.Backend.Primitives;

namespace ZkGateway.Backend.InProcess;

/// <summary>
/// The embedded ordered queue: an in-process FIFO channel with a single consumer. Acknowledgement is a
/// no-op: after a crash the embedded backend recovers from the durable pending-update list instead.
/// </summary>
public sealed class ChannelQueue<T> : IOrderedQueue<T>
{
    private readonly Channel<T> _channel = Channel.CreateUnbounded<T>(new UnboundedChannelOptions { SingleReader = true });

    public ValueTask SendAsync(T message, CancellationToken cancellationToken = default)
    {
        if (!_channel.Writer.TryWrite(message))
        {
            throw new InvalidOperationException("The queue is closed.");
        }
        return ValueTask.CompletedTask;
    }

    public async ValueTask<QueueBatch<T>> ReceiveBatchAsync(int maxBatch, CancellationToken cancellationToken = default)
    {
        var batch = new List<T>();
        while (batch.Count == 0)
        {
            if (!await _channel.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                return QueueBatch<T>.Empty;
            }
            while (batch.Count < maxBatch && _channel.Reader.TryRead(out var item))
            {
                batch.Add(item);
            }
        }
        return new QueueBatch<T>(batch);
    }

    /// <summary>Nothing to do: an in-process channel dies with its consumer, and recovery replays the pending list.</summary>
    public ValueTask AcknowledgeAsync(QueueBatch<T> batch, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

    public void Complete() => _channel.Writer.TryComplete();
}
