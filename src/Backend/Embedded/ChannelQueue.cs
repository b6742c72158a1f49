using System.Threading.Channels;
using ZkGateway.Backend.Primitives;

namespace ZkGateway.Backend.Embedded;

/// <summary>The embedded ordered queue: an in-process FIFO channel with a single consumer.</summary>
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

    public async ValueTask<IReadOnlyList<T>> ReceiveBatchAsync(int maxBatch, CancellationToken cancellationToken = default)
    {
        var batch = new List<T>();
        while (batch.Count == 0)
        {
            if (!await _channel.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                return batch;
            }
            while (batch.Count < maxBatch && _channel.Reader.TryRead(out var item))
            {
                batch.Add(item);
            }
        }
        return batch;
    }

    public void Complete() => _channel.Writer.TryComplete();
}
