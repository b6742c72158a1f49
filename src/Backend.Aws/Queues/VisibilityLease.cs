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
/// SQS call. Why 1 s (docs/serverless.md, "Receive lease"): a kill can cost the writer's lease and then
/// the distributor's in a row, so each must be at most half the 2 s.
/// </summary>
internal sealed class VisibilityLease : IDisposable
{
    /// <summary>The visibility a receive asks for and each renewal restores: the shortest SQS has (it counts whole seconds).</summary>
    public const int Seconds = 1;

    /// <summary>
    /// Under half the lease: one renewal may fail or come late and the next one still lands before the
    /// batch is visible again (0.8 s plus a round trip, against 1 s).
    /// </summary>
    public static readonly TimeSpan RenewEvery = TimeSpan.FromMilliseconds(400);

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
        // A fixed cadence, not a delay after each call: a slow renewal must not push the next one late.
        using var cadence = new PeriodicTimer(RenewEvery);
        try
        {
            while (await cadence.WaitForNextTickAsync(released).ConfigureAwait(false))
            {
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
