using System.Diagnostics;

namespace ZkGateway.Backend.Diagnostics;

/// <summary>
/// The cloud backend's spans (<see cref="Activity"/>, source <see cref="SourceName"/>): one per cloud
/// request (service, API, kind of call, billing units, start and end), and request-level spans that
/// let a tool join a client write's calls across processes: the gateway's span per client write or
/// read, the writer's span per batch and the distributor's span per batch, each naming the requests
/// it serves by their request key (<see cref="RequestKey"/>). Cloud calls made inside one of these
/// spans are its children; a queue crossing is joined by the SQS message ids on the send and on the
/// receive. Nothing is recorded unless someone listens (<see cref="ActivitySource.HasListeners"/>):
/// the export (<see cref="CloudTraceFile"/>, ZKGW_TRACE_FILE) or an OpenTelemetry SDK.
/// </summary>
public static class CloudTrace
{
    public const string SourceName = "ZkGateway.Cloud";

    public static readonly ActivitySource Source = new(SourceName, "1");

    /// <summary>Span names.</summary>
    public const string CallSpan = "cloud.call";
    public const string GatewayWriteSpan = "gateway.write";
    public const string GatewayReadSpan = "gateway.read";
    public const string WriterBatchSpan = "writer.batch";
    public const string DistributorBatchSpan = "distributor.batch";

    /// <summary>Tag names.</summary>
    public const string ServiceTag = "service";
    public const string ApiTag = "api";
    public const string KindTag = "kind";
    public const string UnitsTag = "units";
    public const string ReadUnitsTag = "rcu";
    public const string WriteUnitsTag = "wcu";
    public const string OperationTag = "operation";
    public const string RequestKeyTag = "request";
    public const string RequestKeysTag = "requests";
    public const string ZxidsTag = "zxids";
    public const string QueueTag = "queue";
    public const string MessagesTag = "messages";
    public const string DeduplicationTag = "dedup";
    public const string ErrorTag = "error";

    /// <summary>The kinds of cloud call the latency model tells apart.</summary>
    public static string KindOf(string service, string api) => service switch
    {
        "dynamodb" when api is "GetItem" or "Query" or "Scan" or "BatchGetItem" or "TransactGetItems" => "dynamodb-read",
        "dynamodb" => "dynamodb-write",
        "sqs" when api is "SendMessage" or "SendMessageBatch" => "sqs-send",
        "sqs" when api is "ReceiveMessage" => "sqs-receive",
        "sqs" when api is "DeleteMessage" or "DeleteMessageBatch" => "sqs-delete",
        "sqs" => "sqs-other",
        "s3" when api is "PutObject" => "s3-put",
        "s3" when api is "GetObject" => "s3-get",
        "s3" => "s3-other",
        "lambda" when api.StartsWith("Invoke", StringComparison.Ordinal) => "lambda-invoke",
        _ => service + "-other",
    };

    /// <summary>How a request is named across processes: its reply address, "&lt;gatewayId&gt;-&lt;requestId&gt;".</summary>
    public static string RequestKey(string gatewayId, long requestId) => gatewayId + "-" + requestId.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The gateway's span of one client write: from its submission to its reply. Null when nobody listens.</summary>
    public static Activity? StartGatewayWrite(string operation, string requestKey)
    {
        if (!Source.HasListeners())
        {
            return null;
        }
        var activity = Source.StartActivity(GatewayWriteSpan, ActivityKind.Server);
        activity?.SetTag(OperationTag, operation);
        activity?.SetTag(RequestKeyTag, requestKey);
        return activity;
    }

    /// <summary>Ends a span on whatever thread its work ended, leaving that thread's current span as it was.</summary>
    public static void End(Activity? span)
    {
        if (span is null)
        {
            return;
        }
        var current = Activity.Current;
        span.Stop();
        Activity.Current = current;
    }

    /// <summary>The gateway's span of one read answered from user storage.</summary>
    public static Activity? StartGatewayRead(string operation)
    {
        if (!Source.HasListeners())
        {
            return null;
        }
        var activity = Source.StartActivity(GatewayReadSpan, ActivityKind.Server);
        activity?.SetTag(OperationTag, operation);
        return activity;
    }

    /// <summary>A function's span of one batch (<see cref="WriterBatchSpan"/> or <see cref="DistributorBatchSpan"/>), naming the requests it serves.</summary>
    public static Activity? StartBatch(string name, IEnumerable<string> requestKeys, IEnumerable<long>? zxids = null)
    {
        if (!Source.HasListeners())
        {
            return null;
        }
        // What a batch serves is named by its tags; a parent (a write span, when the batch runs inside
        // the gateway's process) is kept if there is one.
        var activity = Source.StartActivity(name, ActivityKind.Consumer);
        if (activity is not null)
        {
            activity.SetTag(RequestKeysTag, string.Join(',', requestKeys));
            if (zxids is not null)
            {
                activity.SetTag(ZxidsTag, string.Join(',', zxids.Select(z => "0x" + z.ToString("x", System.Globalization.CultureInfo.InvariantCulture))));
            }
        }
        return activity;
    }

    /// <summary>What one cloud request was, for <see cref="RecordCall"/>.</summary>
    public readonly record struct Call(string Service, string Api, DateTime StartUtc, DateTime EndUtc)
    {
        public long Units { get; init; }

        public double ReadUnits { get; init; }

        public double WriteUnits { get; init; }

        public string? Queue { get; init; }

        /// <summary>SQS message ids the call sent, received or deleted (comma-separated).</summary>
        public string? Messages { get; init; }

        /// <summary>Deduplication ids of the messages sent (comma-separated): a write's carries its request key.</summary>
        public string? Deduplication { get; init; }

        public string? Error { get; init; }
    }

    /// <summary>
    /// One cloud request that has completed, as a span child of the caller's current one. Its times are
    /// given, not measured here: the SDK hook knows when the request started.
    /// </summary>
    public static void RecordCall(in Call call, string operation)
    {
        var caller = Activity.Current;
        var activity = Source.StartActivity(CallSpan, ActivityKind.Client, parentContext: default, startTime: new DateTimeOffset(call.StartUtc, TimeSpan.Zero));
        if (activity is null)
        {
            return;
        }
        activity.SetTag(ServiceTag, call.Service);
        activity.SetTag(ApiTag, call.Api);
        activity.SetTag(KindTag, KindOf(call.Service, call.Api));
        activity.SetTag(OperationTag, operation);
        if (call.Service == "dynamodb")
        {
            activity.SetTag(ReadUnitsTag, call.ReadUnits);
            activity.SetTag(WriteUnitsTag, call.WriteUnits);
        }
        else
        {
            activity.SetTag(UnitsTag, call.Units);
        }
        if (call.Queue is not null)
        {
            activity.SetTag(QueueTag, call.Queue);
        }
        if (call.Messages is not null)
        {
            activity.SetTag(MessagesTag, call.Messages);
        }
        if (call.Deduplication is not null)
        {
            activity.SetTag(DeduplicationTag, call.Deduplication);
        }
        if (call.Error is not null)
        {
            activity.SetTag(ErrorTag, call.Error);
            activity.SetStatus(ActivityStatusCode.Error, call.Error);
        }
        activity.SetEndTime(call.EndUtc);
        activity.Stop();
        // StartActivity made the call's span current: the caller's span is current again.
        Activity.Current = caller;
    }
}
