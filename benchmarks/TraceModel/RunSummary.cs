using System.Globalization;
using System.Text.Json;

namespace ZkGateway.TraceModel;

/// <summary>One run of the benchmark on one user storage: the operations of each phase.</summary>
public sealed record RunSummary(string Storage, string Options, IReadOnlyList<OperationSummary> Operations)
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public OperationSummary? Find(string phase, string operation) =>
        Operations.FirstOrDefault(o => o.Phase == phase && o.Operation == operation);

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static RunSummary FromJson(string text) => JsonSerializer.Deserialize<RunSummary>(text, Json)!;

    /// <summary>A phase's measured window from the load tool's --json output (result.MeasureStartUtc/MeasureEndUtc), in µs since the epoch.</summary>
    public static (long From, long To) WindowOf(string loadToolJson)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(loadToolJson));
        var result = json.RootElement.GetProperty("result");
        static long Us(JsonElement e) => (DateTime.Parse(e.GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal).Ticks - DateTime.UnixEpoch.Ticks) / 10;
        return (Us(result.GetProperty("MeasureStartUtc")), Us(result.GetProperty("MeasureEndUtc")));
    }
}
