using Amazon.Runtime;
using Amazon.SQS;
using Amazon.SQS.Model;

namespace ZkGateway.Backend.Aws;

/// <summary>
/// Keeps a received batch invisible while its consumer is alive: messages are received with a short
/// visibility timeout (<see cref="Seconds"/>) and this extends it every <see cref="RenewEvery"/> until
/// released. A consumer that dies or is paused stops renewing, so its batch is delivered again within
/// <see cref="Seconds"/> instead of after the queue's (long) visibility timeout (issue 17: a dead function
/// instance stops writes for at most 2 s). A batch handled in under <see cref="RenewEvery"/> costs no
/// extra request; each renewal is one ChangeMessageVisibilityBatch per 10 messages, metered like every
/// SQS call.
/// </summary>
internal sealed class VisibilityLease : IDisposable
{
    /// <summary>The visibility a receive asks for and each renewal restores (SQS counts whole seconds).</summary>
    public const int Seconds = 2;

    /// <summary>Half the lease: one renewal may be slow or fail once and the batch still stays hidden.</summary>
    public static readonly TimeSpan RenewEvery = TimeSpan.FromSeconds(Seconds / 2.0);

    private readonly CancellationTokenSource _released = new();

    private VisibilityLease(IAmazonSQS sqs, string queueUrl, IReadOnlyList<string> handles) =>
        _ = Task.Run(() => RenewAsync(sqs, queueUrl, handles, _released.Token), CancellationToken.None);

    /// <summary>Starts renewing the visibility of the received messages' receipt handles.</summary>
    public static VisibilityLease Hold(IAmazonSQS sqs, string queueUrl, IReadOnlyList<string> handles) => new(sqs, queueUrl, handles);

    /// <summary>Stops renewing: after an acknowledgement, or when the consumer moved on without one (the batch comes back).</summary>
    public void Release()
    {
        if (!_released.IsCancellationRequested)
        {
            _released.Cancel();
        }
    }

    public void Dispose()
    {
        Release();
        _released.Dispose();
    }

    private static async Task RenewAsync(IAmazonSQS sqs, string queueUrl, IReadOnlyList<string> handles, CancellationToken released)
    {
        try
        {
            while (true)
            {
                await Task.Delay(RenewEvery, released).ConfigureAwait(false);
                for (int start = 0; start < handles.Count; start += 10)
                {
                    var entries = new List<ChangeMessageVisibilityBatchRequestEntry>();
                    for (int i = start; i < Math.Min(start + 10, handles.Count); i++)
                    {
                        entries.Add(new ChangeMessageVisibilityBatchRequestEntry
                        {
                            Id = i.ToString(System.Globalization.CultureInfo.InvariantCulture),
                            ReceiptHandle = handles[i],
                            VisibilityTimeout = Seconds,
                        });
                    }
                    try
                    {
                        // A failed entry (its handle expired: the message is visible again and may be with
                        // another consumer) is not retried; the storage-side fences make a late apply harmless.
                        await sqs.ChangeMessageVisibilityBatchAsync(new ChangeMessageVisibilityBatchRequest { QueueUrl = queueUrl, Entries = entries }, released).ConfigureAwait(false);
                    }
                    catch (AmazonServiceException)
                    {
                        // Throttled or unreachable for a moment: the next renewal tries again.
                    }
                    catch (HttpRequestException)
                    {
                    }
                }
            }
        }
        catch (OperationCanceledException) when (released.IsCancellationRequested)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }
}
