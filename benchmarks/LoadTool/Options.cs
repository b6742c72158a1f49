using System.Globalization;

namespace ZkGateway.LoadTool;

/// <summary>The operations the tool can mix.</summary>
public enum OpKind
{
    Get,
    Set,
    CreateDelete,
    Exists,
    Children,
    Multi,
}

/// <summary>One workload: what to send, how hard, and for how long.</summary>
public sealed record LoadOptions
{
    public string Target { get; init; } = "127.0.0.1:2181";

    /// <summary>Relative weights per operation (zero weights are dropped).</summary>
    public IReadOnlyDictionary<OpKind, double> Mix { get; init; } = new Dictionary<OpKind, double> { [OpKind.Get] = 1 };

    public int ValueSize { get; init; } = 100;

    public int Connections { get; init; } = 1;

    /// <summary>Requests kept in flight per connection (closed loop: each slot issues its next op when the previous completes).</summary>
    public int Outstanding { get; init; } = 1;

    /// <summary>Measured duration; ignored when <see cref="Count"/> is set.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Measured operations in total (across all slots), instead of a duration.</summary>
    public long? Count { get; init; }

    /// <summary>Unmeasured warm-up before the measured phase.</summary>
    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Children created under the children-listing node.</summary>
    public int ChildCount { get; init; } = 10;

    /// <summary>
    /// An existing node that get, exists and children read instead of the run's own (e.g. a parent
    /// of 100k children made by --populate); set and the create kinds keep to the run's prefix.
    /// </summary>
    public string? ReadPath { get; init; }

    public int Seed { get; init; } = 12345;

    /// <summary>TLS for every session; null: plaintext.</summary>
    public TlsClientOptions? Tls { get; init; }

    public (string Host, int Port) ParseTarget() => ParseAddress(Target);

    public static (string Host, int Port) ParseAddress(string address)
    {
        int colon = address.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(address.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int port))
        {
            throw new ArgumentException($"Address '{address}' is not host:port.");
        }
        return (address[..colon], port);
    }

    /// <summary>Parses <c>get=80,set=20</c>; names: get, set, create_delete, exists, children, multi.</summary>
    public static Dictionary<OpKind, double> ParseMix(string text)
    {
        var mix = new Dictionary<OpKind, double>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var kv = part.Split('=', 2, StringSplitOptions.TrimEntries);
            var kind = kv[0].ToLowerInvariant() switch
            {
                "get" => OpKind.Get,
                "set" => OpKind.Set,
                "create_delete" => OpKind.CreateDelete,
                "exists" => OpKind.Exists,
                "children" => OpKind.Children,
                "multi" => OpKind.Multi,
                _ => throw new ArgumentException($"Unknown operation '{kv[0]}' in --mix."),
            };
            double weight = kv.Length == 2 ? double.Parse(kv[1], CultureInfo.InvariantCulture) : 1;
            if (weight < 0)
            {
                throw new ArgumentException($"Negative weight for '{kv[0]}'.");
            }
            if (weight > 0)
            {
                mix[kind] = weight;
            }
        }
        if (mix.Count == 0)
        {
            throw new ArgumentException("--mix has no positive weight.");
        }
        return mix;
    }

    public static string FormatMix(IReadOnlyDictionary<OpKind, double> mix) =>
        string.Join(",", mix.Select(kv => $"{Name(kv.Key)}={kv.Value.ToString(CultureInfo.InvariantCulture)}"));

    public static string Name(OpKind kind) => kind switch
    {
        OpKind.CreateDelete => "create_delete",
        _ => kind.ToString().ToLowerInvariant(),
    };

    /// <summary>Parses <c>5</c>, <c>5s</c>, <c>500ms</c>.</summary>
    public static TimeSpan ParseDuration(string text)
    {
        text = text.Trim();
        if (text.EndsWith("ms", StringComparison.Ordinal))
        {
            return TimeSpan.FromMilliseconds(double.Parse(text[..^2], CultureInfo.InvariantCulture));
        }
        if (text.EndsWith('s'))
        {
            text = text[..^1];
        }
        return TimeSpan.FromSeconds(double.Parse(text, CultureInfo.InvariantCulture));
    }
}
