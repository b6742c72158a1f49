using ZkGateway.Backend.Diagnostics;

namespace ZkGateway.TraceModel;

/// <summary>
/// A run's spans from all its processes, joined: which requests each cloud call serves (its request
/// keys), and which send and receives each SQS message had. A call serves the requests of the
/// request-level span it ran in (a gateway's write or read, a writer or distributor batch); a send
/// outside one, the requests its deduplication ids name; a receive or a delete, the requests of the
/// messages it got or acknowledged.
/// </summary>
public sealed class TraceIndex
{
    private readonly Dictionary<string, Span> _byId = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Span> _sendOf = new(StringComparer.Ordinal);
    private readonly HashSet<string> _requestKeys = new(StringComparer.Ordinal);
    private readonly Dictionary<Span, IReadOnlySet<string>> _keys = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<string, IReadOnlyList<Span>> _callsByProcess;

    public TraceIndex(IEnumerable<Span> spans)
    {
        Spans = [.. spans.OrderBy(s => s.Start)];
        foreach (var span in Spans)
        {
            _byId.TryAdd(span.Id, span);
            if (span.Name == CloudTrace.GatewayWriteSpan && span.Tag(CloudTrace.RequestKeyTag) is { } key)
            {
                _requestKeys.Add(key);
            }
            if (span.IsCall && span.Kind == "sqs-send" && span.Tag(CloudTrace.ErrorTag) is null)
            {
                foreach (string message in span.TagList(CloudTrace.MessagesTag))
                {
                    _sendOf.TryAdd(message, span);
                }
            }
        }
        Calls = [.. Spans.Where(s => s.IsCall)];
        _callsByProcess = Calls.GroupBy(c => c.Process, StringComparer.Ordinal).ToDictionary(g => g.Key, g => (IReadOnlyList<Span>)[.. g], StringComparer.Ordinal);
        Writes = [.. Spans.Where(s => s.Name == CloudTrace.GatewayWriteSpan)];
        Reads = [.. Spans.Where(s => s.Name == CloudTrace.GatewayReadSpan)];
    }

    public static TraceIndex Load(IEnumerable<string> files) => new(files.SelectMany(Span.ReadFile));

    public IReadOnlyList<Span> Spans { get; }

    public IReadOnlyList<Span> Calls { get; }

    /// <summary>The gateways' spans of client writes (one per request key).</summary>
    public IReadOnlyList<Span> Writes { get; }

    public IReadOnlyList<Span> Reads { get; }

    /// <summary>The cloud calls one process made, by start.</summary>
    public IReadOnlyList<Span> CallsIn(string process) => _callsByProcess.GetValueOrDefault(process) ?? [];

    /// <summary>The send that put <paramref name="messageId"/> in its queue, if it was traced.</summary>
    public Span? SendOf(string messageId) => _sendOf.GetValueOrDefault(messageId);

    /// <summary>The key a read is known by (reads have no reply address): its span id.</summary>
    public static string ReadKey(Span read) => "read:" + read.Id;

    /// <summary>The requests <paramref name="call"/> serves (empty: background work, or idle polling).</summary>
    public IReadOnlySet<string> KeysOf(Span call)
    {
        if (_keys.TryGetValue(call, out var known))
        {
            return known;
        }
        IReadOnlySet<string> keys = call.Kind is "sqs-receive" or "sqs-delete"
            ? new HashSet<string>(call.TagList(CloudTrace.MessagesTag).Select(SendOf).Where(s => s is not null).SelectMany(s => KeysOf(s!)), StringComparer.Ordinal)
            : FromAncestors(call) ?? (call.Kind == "sqs-send" ? FromDeduplication(call) : new HashSet<string>());
        _keys[call] = keys;
        return keys;
    }

    private HashSet<string>? FromAncestors(Span span)
    {
        for (var at = span; at.Parent is { } parent && _byId.TryGetValue(parent, out var up); at = up)
        {
            switch (up.Name)
            {
                case CloudTrace.GatewayWriteSpan:
                    return new HashSet<string>(StringComparer.Ordinal) { up.Tag(CloudTrace.RequestKeyTag) ?? "" };
                case CloudTrace.GatewayReadSpan:
                    return new HashSet<string>(StringComparer.Ordinal) { ReadKey(up) };
                case CloudTrace.WriterBatchSpan or CloudTrace.DistributorBatchSpan:
                    return new HashSet<string>(up.TagList(CloudTrace.RequestKeysTag), StringComparer.Ordinal);
            }
        }
        return null;
    }

    /// <summary>A write's deduplication id is its request key, a transaction's "&lt;zxid&gt;-&lt;request key&gt;".</summary>
    private HashSet<string> FromDeduplication(Span send)
    {
        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (string id in send.TagList(CloudTrace.DeduplicationTag))
        {
            int from = 0;
            while (true)
            {
                if (_requestKeys.Contains(id[from..]))
                {
                    keys.Add(id[from..]);
                    break;
                }
                int dash = id.IndexOf('-', from);
                if (dash < 0)
                {
                    break;
                }
                from = dash + 1;
            }
        }
        return keys;
    }
}
