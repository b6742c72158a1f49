using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace ZkGateway.FunctionHost.Lambda;

// The SQS event Lambda's event-source mapping delivers, and the partial-batch response it accepts when the
// mapping has FunctionResponseTypes [ReportBatchItemFailures]. Only the fields we use are modelled; unknown
// ones are skipped by the reader.
//
//   {"Records":[{"messageId":"…","receiptHandle":"…","body":"…",
//                "attributes":{"ApproximateReceiveCount":"1","SentTimestamp":"…","SequenceNumber":"…",
//                              "MessageGroupId":"…","MessageDeduplicationId":"…", …},
//                "messageAttributes":{…},"md5OfBody":"…","eventSource":"aws:sqs",
//                "eventSourceARN":"arn:aws:sqs:us-east-1:123456789012:zk-writer.fifo","awsRegion":"…"}, …]}
//
//   response: {"batchItemFailures":[{"itemIdentifier":"<messageId>"}, …]}

/// <summary>An SQS event as Lambda delivers it: up to BatchSize records, in queue order.</summary>
public sealed class SqsEvent
{
    [JsonPropertyName("Records")]
    public List<SqsRecord>? Records { get; set; }

    /// <summary>
    /// Parses an SQS event. Throws <see cref="FormatException"/> when the document is not JSON, has no
    /// <c>Records</c> array, or a record lacks its <c>messageId</c> (without it no failure can be reported).
    /// </summary>
    public static SqsEvent Parse(ReadOnlySpan<byte> utf8Json)
    {
        SqsEvent? parsed;
        try
        {
            parsed = JsonSerializer.Deserialize(utf8Json, SqsJsonContext.Default.SqsEvent);
        }
        catch (JsonException e)
        {
            throw new FormatException($"The event is not an SQS event: {e.Message}", e);
        }
        if (parsed?.Records is not { } records)
        {
            throw new FormatException("The event is not an SQS event: it has no \"Records\" array.");
        }
        for (var i = 0; i < records.Count; i++)
        {
            if (records[i] is null || string.IsNullOrEmpty(records[i].MessageId))
            {
                throw new FormatException($"SQS record {i} has no messageId.");
            }
        }
        return parsed;
    }
}

/// <summary>One SQS message of an event.</summary>
public sealed class SqsRecord
{
    [JsonPropertyName("messageId")]
    public string MessageId { get; set; } = "";

    [JsonPropertyName("receiptHandle")]
    public string? ReceiptHandle { get; set; }

    /// <summary>The message body as sent. Our queues carry base64 text (see <see cref="DecodeBase64Body"/>).</summary>
    [JsonPropertyName("body")]
    public string Body { get; set; } = "";

    [JsonPropertyName("attributes")]
    public SqsRecordAttributes? Attributes { get; set; }

    [JsonPropertyName("messageAttributes")]
    public Dictionary<string, SqsMessageAttribute>? MessageAttributes { get; set; }

    [JsonPropertyName("md5OfBody")]
    public string? Md5OfBody { get; set; }

    [JsonPropertyName("eventSource")]
    public string? EventSource { get; set; }

    [JsonPropertyName("eventSourceARN")]
    public string? EventSourceArn { get; set; }

    [JsonPropertyName("awsRegion")]
    public string? AwsRegion { get; set; }

    /// <summary>True for a FIFO queue: its ARN ends in ".fifo", or the message has a MessageGroupId.</summary>
    [JsonIgnore]
    public bool IsFifo =>
        EventSourceArn?.EndsWith(".fifo", StringComparison.Ordinal) == true || Attributes?.MessageGroupId is not null;

    /// <summary>ApproximateReceiveCount as a number (0 when absent or unreadable).</summary>
    [JsonIgnore]
    public int ReceiveCount =>
        int.TryParse(Attributes?.ApproximateReceiveCount, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0;

    /// <summary>The body decoded from base64 (the backend's message codecs send binary bodies that way).</summary>
    public byte[] DecodeBase64Body() => Convert.FromBase64String(Body);
}

/// <summary>The SQS system attributes of a record. All values are strings, as SQS sends them.</summary>
public sealed class SqsRecordAttributes
{
    public string? ApproximateReceiveCount { get; set; }

    public string? ApproximateFirstReceiveTimestamp { get; set; }

    public string? SentTimestamp { get; set; }

    public string? SenderId { get; set; }

    /// <summary>FIFO only: the 128-bit sequence number, as decimal text.</summary>
    public string? SequenceNumber { get; set; }

    /// <summary>FIFO only.</summary>
    public string? MessageGroupId { get; set; }

    /// <summary>FIFO only.</summary>
    public string? MessageDeduplicationId { get; set; }
}

/// <summary>A user message attribute (we send none; kept so a record round-trips for diagnostics).</summary>
public sealed class SqsMessageAttribute
{
    [JsonPropertyName("stringValue")]
    public string? StringValue { get; set; }

    [JsonPropertyName("binaryValue")]
    public string? BinaryValue { get; set; }

    [JsonPropertyName("dataType")]
    public string? DataType { get; set; }
}

/// <summary>The partial-batch response: the records Lambda must leave on the queue (they come again).</summary>
public sealed class SqsBatchResponse
{
    [JsonPropertyName("batchItemFailures")]
    public List<SqsBatchItemFailure> BatchItemFailures { get; set; } = [];

    /// <summary>
    /// The response for a batch whose first <paramref name="processed"/> records were handled, in order,
    /// and whose remaining records were not: every later record is reported failed.
    /// </summary>
    /// <remarks>
    /// This is the FIFO rule. Lambda deletes every record that is not reported, so once one record of a FIFO
    /// batch fails, reporting only that one would let the records after it be deleted (or, if retried
    /// separately, be applied before it): the queue's order would be broken. AWS's guidance is to stop at
    /// the first failure and return it together with all that follow. Our processors work in order and stop
    /// at the first failure, so we apply the same prefix rule to standard queues too.
    /// </remarks>
    public static SqsBatchResponse ForProcessedPrefix(IReadOnlyList<SqsRecord> records, int processed)
    {
        ArgumentNullException.ThrowIfNull(records);
        if (processed < 0 || processed > records.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(processed), processed,
                $"A batch of {records.Count} records cannot have {processed} processed.");
        }
        var response = new SqsBatchResponse();
        for (var i = processed; i < records.Count; i++)
        {
            response.BatchItemFailures.Add(new SqsBatchItemFailure { ItemIdentifier = records[i].MessageId });
        }
        return response;
    }

    /// <summary>
    /// The response for a batch where the records with the given ids failed. For a FIFO batch the first
    /// failure also fails every later record (see <see cref="ForProcessedPrefix"/>); for a standard queue
    /// exactly the failed records are reported.
    /// </summary>
    public static SqsBatchResponse ForFailures(IReadOnlyList<SqsRecord> records, IReadOnlySet<string> failedMessageIds)
    {
        ArgumentNullException.ThrowIfNull(records);
        ArgumentNullException.ThrowIfNull(failedMessageIds);
        var response = new SqsBatchResponse();
        var failing = false;
        foreach (var record in records)
        {
            var failed = failedMessageIds.Contains(record.MessageId);
            failing |= failed && record.IsFifo;
            if (failed || failing)
            {
                response.BatchItemFailures.Add(new SqsBatchItemFailure { ItemIdentifier = record.MessageId });
            }
        }
        return response;
    }

    public string ToJson() => JsonSerializer.Serialize(this, SqsJsonContext.Default.SqsBatchResponse);
}

public sealed class SqsBatchItemFailure
{
    [JsonPropertyName("itemIdentifier")]
    public string ItemIdentifier { get; set; } = "";
}

/// <summary>
/// Source-generated (de)serializers: no reflection at run time, so the host stays Native-AOT publishable.
/// Attribute names in <c>attributes</c> are PascalCase on the wire, as the C# properties are.
/// </summary>
[JsonSourceGenerationOptions(
    GenerationMode = JsonSourceGenerationMode.Default,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(SqsEvent))]
[JsonSerializable(typeof(SqsBatchResponse))]
public sealed partial class SqsJsonContext : JsonSerializerContext;
