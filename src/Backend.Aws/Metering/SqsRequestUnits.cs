using System.Collections.Concurrent;
using System.Text;
using Amazon.Runtime;
using Amazon.SQS.Model;

namespace ZkGateway.Backend.Aws;

/// <summary>
/// SQS bills each 64 KB chunk of a request's payload as one request (AWS SQS pricing: "an API action
/// with a 256 KB payload is billed as 4 requests"): the message bodies and attributes sent, or
/// received. Also what a span of an SQS call says about its messages, so a tool can join a send to the
/// receive that got it (message ids) and a write's send to its request (deduplication ids).
/// </summary>
internal static class SqsRequestUnits
{
    private const int Chunk = 64 * 1024;

    public static long Of(AmazonWebServiceRequest request, AmazonWebServiceResponse? response)
    {
        long bytes = (request, response) switch
        {
            (SendMessageRequest send, _) => Size(send.MessageBody, send.MessageAttributes),
            (SendMessageBatchRequest batch, _) => batch.Entries?.Sum(e => Size(e.MessageBody, e.MessageAttributes)) ?? 0,
            (_, ReceiveMessageResponse received) => received.Messages?.Sum(m => Size(m.Body, m.MessageAttributes)) ?? 0,
            _ => 0,
        };
        return Math.Max(1, (bytes + Chunk - 1) / Chunk);
    }

    private static long Size(string? body, Dictionary<string, MessageAttributeValue>? attributes)
    {
        long size = body is null ? 0 : Encoding.UTF8.GetByteCount(body);
        foreach (var (name, value) in attributes ?? [])
        {
            size += Encoding.UTF8.GetByteCount(name) + Encoding.UTF8.GetByteCount(value.DataType ?? "") +
                (value.StringValue is { } s ? Encoding.UTF8.GetByteCount(s) : 0) + (value.BinaryValue?.Length ?? 0);
        }
        return size;
    }

    /// <summary>Receipt handles of received messages, to name the messages a delete acknowledges (kept only while tracing).</summary>
    private static readonly ConcurrentDictionary<string, string> ReceiptMessages = new(StringComparer.Ordinal);

    /// <summary>The queue's name (the last segment of its URL).</summary>
    public static string? QueueOf(AmazonWebServiceRequest request)
    {
        string? url = request switch
        {
            SendMessageRequest r => r.QueueUrl,
            SendMessageBatchRequest r => r.QueueUrl,
            ReceiveMessageRequest r => r.QueueUrl,
            DeleteMessageRequest r => r.QueueUrl,
            DeleteMessageBatchRequest r => r.QueueUrl,
            ChangeMessageVisibilityBatchRequest r => r.QueueUrl,
            _ => null,
        };
        return url is null ? null : url[(url.LastIndexOf('/') + 1)..];
    }

    /// <summary>Message ids sent, received or deleted by the call, comma-separated; and the deduplication ids sent.</summary>
    public static (string? Messages, string? Deduplication) MessagesOf(AmazonWebServiceRequest request, AmazonWebServiceResponse? response)
    {
        switch (request, response)
        {
            case (SendMessageRequest send, SendMessageResponse sent):
                return (sent.MessageId, send.MessageDeduplicationId);
            case (SendMessageBatchRequest batch, SendMessageBatchResponse sent):
                return (Join(sent.Successful?.Select(s => s.MessageId)), Join(batch.Entries?.Select(e => e.MessageDeduplicationId)));
            case (_, ReceiveMessageResponse received) when received.Messages is { Count: > 0 } messages:
                foreach (var message in messages)
                {
                    if (message.ReceiptHandle is { } handle && message.MessageId is { } id)
                    {
                        ReceiptMessages[handle] = id;
                    }
                }
                return (Join(messages.Select(m => m.MessageId)), null);
            case (DeleteMessageRequest delete, _):
                return (Forget(delete.ReceiptHandle), null);
            case (DeleteMessageBatchRequest delete, _):
                return (Join(delete.Entries?.Select(e => Forget(e.ReceiptHandle))), null);
            default:
                return (null, null);
        }
    }

    private static string? Forget(string? handle) => handle is not null && ReceiptMessages.TryRemove(handle, out var id) ? id : null;

    private static string? Join(IEnumerable<string?>? ids)
    {
        if (ids is null)
        {
            return null;
        }
        string joined = string.Join(',', ids.Where(i => i is not null));
        return joined.Length == 0 ? null : joined;
    }
}
