using Amazon.SQS;
using Amazon.SQS.Model;
using ZkGateway.Backend.Primitives;

namespace ZkGateway.Backend.Aws;

/// <summary>
/// An <see cref="IOrderedQueue{T}"/> over an SQS FIFO queue with one message group ("0"), so all
/// messages have one total order. Bodies are the codec's bytes in base64 (SQS bodies are text); a body
/// above <see cref="MaxInlineBody"/> goes to S3 under payloads/queue/&lt;guid&gt; and the message
/// carries only a pointer (claim check), resolved transparently on receive. Delivery is at least once:
/// a batch is deleted only by <see cref="AcknowledgeAsync"/>, otherwise it comes back within
/// <see cref="VisibilityLease.Seconds"/> of its consumer stopping (dying, pausing, or receiving again
/// without acknowledging): a received batch is held by a <see cref="VisibilityLease"/> the live consumer renews.
/// </summary>
public sealed class SqsOrderedQueue<T> : IOrderedQueue<T>, IDisposable
{
    /// <summary>Base64 bodies longer than this travel through S3 (an SQS message holds at most 256 KiB).</summary>
    public const int MaxInlineBody = 200 * 1024;

    /// <summary>SendMessageBatch carries at most 256 KiB of bodies; a little is left for ids and group ids.</summary>
    private const int MaxBatchBodyBytes = 250 * 1024;

    /// <summary>Marks a pointer body. ':' and '@' never occur in base64, so no real body starts with it.</summary>
    private const string ClaimPrefix = "@s3:";

    private const string Group = "0";

    private readonly IAmazonSQS _sqs;
    private readonly S3Payloads _payloads;
    private readonly IMessageCodec<T> _codec;
    private readonly int _waitSeconds;
    private readonly CancellationTokenSource _completion = new();

    /// <summary>A queue by URL; <paramref name="longPoll"/> is how long one receive waits for a message (SQS allows at most 20 s).</summary>
    public SqsOrderedQueue(AwsClients clients, string queueUrl, IMessageCodec<T> codec, TimeSpan? longPoll = null)
    {
        _sqs = clients.Sqs;
        _payloads = new S3Payloads(clients.S3, clients.Settings);
        QueueUrl = queueUrl;
        _codec = codec;
        _waitSeconds = (int)Math.Clamp((longPoll ?? TimeSpan.FromSeconds(20)).TotalSeconds, 0, 20);
    }

    /// <summary>Opens an existing queue by name (see <see cref="AwsSettings.WriterQueue"/>).</summary>
    public static async Task<SqsOrderedQueue<T>> OpenAsync(AwsClients clients, string queueName, IMessageCodec<T> codec, CancellationToken cancellationToken = default) =>
        new(clients, await SqsQueues.GetUrlAsync(clients.Sqs, queueName, cancellationToken).ConfigureAwait(false), codec);

    public string QueueUrl { get; }

    public ValueTask SendAsync(T message, CancellationToken cancellationToken = default) => SendBatchAsync([message], cancellationToken);

    /// <summary>
    /// Sends in call order: calls are queued here and one sender sends them, oldest first, several
    /// calls' messages together when they fit one SendMessageBatch. Two HTTP requests in flight at
    /// once could reach SQS in either order, and a session's pipelined writes would then be reordered.
    /// Completes when the messages are in the queue.
    /// </summary>
    public ValueTask SendBatchAsync(IReadOnlyList<T> messages, CancellationToken cancellationToken = default)
    {
        if (messages.Count == 0)
        {
            return ValueTask.CompletedTask;
        }
        var send = new PendingSend(messages);
        lock (_outgoing)
        {
            _outgoing.Enqueue(send);
            if (!_sending)
            {
                _sending = true;
                _ = Task.Run(SendLoopAsync, CancellationToken.None);
            }
        }
        return new ValueTask(send.Done.Task);
    }

    private sealed class PendingSend(IReadOnlyList<T> messages)
    {
        public IReadOnlyList<T> Messages { get; } = messages;

        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private readonly Queue<PendingSend> _outgoing = new();
    private bool _sending;

    /// <summary>The one sender: takes the oldest calls (up to 10 messages) and sends them, until none are left.</summary>
    private async Task SendLoopAsync()
    {
        while (true)
        {
            var sends = new List<PendingSend>();
            int count = 0;
            lock (_outgoing)
            {
                while (_outgoing.TryPeek(out var next) && (sends.Count == 0 || count + next.Messages.Count <= 10))
                {
                    sends.Add(_outgoing.Dequeue());
                    count += next.Messages.Count;
                }
                if (sends.Count == 0)
                {
                    _sending = false;
                    return;
                }
            }
            try
            {
                await SendInOrderAsync([.. sends.SelectMany(s => s.Messages)], CancellationToken.None).ConfigureAwait(false);
                foreach (var send in sends)
                {
                    send.Done.TrySetResult();
                }
            }
            catch (Exception e)
            {
                foreach (var send in sends)
                {
                    send.Done.TrySetException(e);
                }
            }
        }
    }

    private async Task SendInOrderAsync(IReadOnlyList<T> messages, CancellationToken cancellationToken)
    {
        var entries = new List<SendMessageBatchRequestEntry>(messages.Count);
        foreach (var message in messages)
        {
            byte[] encoded = _codec.Encode(message);
            string body = Convert.ToBase64String(encoded);
            if (body.Length > MaxInlineBody)
            {
                string key = $"payloads/queue/{Guid.NewGuid():N}";
                await _payloads.PutAsync(key, encoded, cancellationToken).ConfigureAwait(false);
                body = ClaimPrefix + key;
            }
            entries.Add(new SendMessageBatchRequestEntry
            {
                MessageBody = body,
                MessageGroupId = Group,
                MessageDeduplicationId = _codec.DeduplicationId(message),
            });
        }

        // Consecutive chunks of at most 10 entries and 256 KiB: the order of the list is the queue order.
        int start = 0;
        while (start < entries.Count)
        {
            int end = start;
            int bytes = 0;
            while (end < entries.Count && end - start < 10 && (end == start || bytes + entries[end].MessageBody.Length <= MaxBatchBodyBytes))
            {
                bytes += entries[end].MessageBody.Length;
                end++;
            }
            await SendChunkAsync(entries.GetRange(start, end - start), cancellationToken).ConfigureAwait(false);
            start = end;
        }
    }

    private async Task SendChunkAsync(List<SendMessageBatchRequestEntry> chunk, CancellationToken ct)
    {
        for (int attempt = 0; ; attempt++)
        {
            for (int i = 0; i < chunk.Count; i++)
            {
                chunk[i].Id = i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
            var response = await _sqs.SendMessageBatchAsync(new SendMessageBatchRequest { QueueUrl = QueueUrl, Entries = chunk }, ct).ConfigureAwait(false);
            var failed = response.Failed ?? [];
            if (failed.Count == 0)
            {
                return;
            }
            if (failed.FirstOrDefault(f => f.SenderFault == true) is { } fault)
            {
                throw new AmazonSQSException($"SQS refused message {fault.Id} of a batch: {fault.Code} {fault.Message}");
            }
            if (attempt >= 5)
            {
                throw new AmazonSQSException($"SQS failed {failed.Count} messages of a batch {attempt + 1} times: {failed[0].Code} {failed[0].Message}");
            }
            // Resend from the first failed entry on, in order. A FIFO queue fails the rest of a group
            // after a failed entry; any later entry that did get in is dropped as a duplicate (same
            // deduplication id within 5 minutes), so the order survives the retry.
            int first = failed.Min(f => int.Parse(f.Id, System.Globalization.CultureInfo.InvariantCulture));
            chunk = chunk.GetRange(first, chunk.Count - first);
            await Task.Delay(TimeSpan.FromMilliseconds(50 << attempt), ct).ConfigureAwait(false);
        }
    }

    /// <summary>The lease of the last batch received: a consumer takes one batch at a time, so receiving again releases it.</summary>
    private VisibilityLease? _held;

    public async ValueTask<QueueBatch<T>> ReceiveBatchAsync(int maxBatch, CancellationToken cancellationToken = default)
    {
        maxBatch = Math.Max(1, maxBatch);
        Interlocked.Exchange(ref _held, null)?.Dispose();
        var received = new List<Message>();
        while (received.Count == 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            bool draining = _completion.IsCancellationRequested;
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _completion.Token);
            try
            {
                // Long poll until a message arrives; Complete() or the caller's token cancel the
                // HTTP request at once rather than after up to 20 s.
                var messages = await ReceiveAsync(Math.Min(10, maxBatch), draining ? 0 : _waitSeconds, draining ? cancellationToken : linked.Token).ConfigureAwait(false);
                received.AddRange(messages);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && !draining)
            {
                continue;   // completed meanwhile: one more look without waiting, then stop
            }
            if (received.Count == 0 && draining)
            {
                return QueueBatch<T>.Empty;
            }
        }
        // More only while a full receive suggests more are waiting (one message group: SQS hands out
        // at most 10 per call); never wait for them.
        int last = received.Count;
        while (received.Count < maxBatch && last == 10)
        {
            var more = await ReceiveAsync(Math.Min(10, maxBatch - received.Count), 0, cancellationToken).ConfigureAwait(false);
            received.AddRange(more);
            last = more.Count;
        }
        var lease = VisibilityLease.Hold(_sqs, QueueUrl, [.. received.Select(m => m.ReceiptHandle)]);
        Interlocked.Exchange(ref _held, lease)?.Dispose();

        var items = new List<T>(received.Count);
        var claims = new List<string?>(received.Count);
        foreach (var message in received)
        {
            items.Add(await DecodeBodyAsync(message.Body, cancellationToken).ConfigureAwait(false));
            claims.Add(ClaimKey(message.Body));
        }
        return new QueueBatch<T>(items, new Receipts([.. received.Select(m => m.ReceiptHandle)], claims, lease), DeliveryOf(received[0]));
    }

    /// <summary>
    /// How many times SQS has handed out the batch's first message, this time included: a batch that
    /// comes back after its consumer died has a higher count than the delivery that died (1 if absent).
    /// </summary>
    private static int DeliveryOf(Message first) =>
        first.Attributes is { } attributes
        && attributes.TryGetValue(ReceiveCountAttribute, out string? count)
        && int.TryParse(count, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int delivery)
        && delivery > 0 ? delivery : 1;

    private const string ReceiveCountAttribute = "ApproximateReceiveCount";

    /// <summary>The S3 key of a claim-check body, or null for an inline one.</summary>
    public static string? ClaimKey(string body) => body.StartsWith(ClaimPrefix, StringComparison.Ordinal) ? body[ClaimPrefix.Length..] : null;

    /// <summary>
    /// Decodes a message body as this queue sends it (base64, or a claim check fetched from S3). Also
    /// what a Lambda function gets in its SQS event's records.
    /// </summary>
    public async ValueTask<T> DecodeBodyAsync(string body, CancellationToken cancellationToken = default)
    {
        byte[] bytes;
        if (ClaimKey(body) is { } key)
        {
            bytes = await _payloads.GetAsync(key, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            bytes = Convert.FromBase64String(body);
        }
        return _codec.Decode(bytes);
    }

    private async Task<List<Message>> ReceiveAsync(int max, int waitSeconds, CancellationToken ct)
    {
        var response = await _sqs.ReceiveMessageAsync(new ReceiveMessageRequest
        {
            QueueUrl = QueueUrl,
            MaxNumberOfMessages = max,
            WaitTimeSeconds = waitSeconds,
            VisibilityTimeout = VisibilityLease.Seconds,
            // The writer's lock tokens carry it (LockToken.Delivery).
            MessageSystemAttributeNames = [ReceiveCountAttribute],
        }, ct).ConfigureAwait(false);
        return response.Messages ?? [];
    }

    public async ValueTask AcknowledgeAsync(QueueBatch<T> batch, CancellationToken cancellationToken = default)
    {
        if (batch.Receipts is not Receipts receipts)
        {
            return;
        }
        for (int start = 0; start < receipts.Handles.Count; start += 10)
        {
            var entries = new List<DeleteMessageBatchRequestEntry>();
            for (int i = start; i < Math.Min(start + 10, receipts.Handles.Count); i++)
            {
                entries.Add(new DeleteMessageBatchRequestEntry { Id = i.ToString(System.Globalization.CultureInfo.InvariantCulture), ReceiptHandle = receipts.Handles[i] });
            }
            var failedIds = new HashSet<string>();
            for (int attempt = 0; attempt < 3 && entries.Count > 0; attempt++)
            {
                var response = await _sqs.DeleteMessageBatchAsync(new DeleteMessageBatchRequest { QueueUrl = QueueUrl, Entries = entries }, cancellationToken).ConfigureAwait(false);
                var failed = response.Failed ?? [];
                failedIds = [.. failed.Select(f => f.Id)];
                // A sender fault (an expired receipt handle: the message became visible again) will not
                // succeed on retry; the message then comes again, which at-least-once consumers handle.
                entries = [.. entries.Where(e => failed.Any(f => f.Id == e.Id && f.SenderFault != true))];
            }
            // A claim-check payload goes only with its message: a message still queued needs it.
            for (int i = start; i < Math.Min(start + 10, receipts.Handles.Count); i++)
            {
                if (receipts.Claims[i] is { } key && !failedIds.Contains(i.ToString(System.Globalization.CultureInfo.InvariantCulture)))
                {
                    // Best effort: an orphaned payload costs storage only.
                    await _payloads.TryDeleteAsync(key, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        receipts.Lease.Release();
    }

    public void Complete() => _completion.Cancel();

    public void Dispose()
    {
        Interlocked.Exchange(ref _held, null)?.Dispose();
        _completion.Dispose();
    }

    private sealed record Receipts(IReadOnlyList<string> Handles, IReadOnlyList<string?> Claims, VisibilityLease Lease);
}
