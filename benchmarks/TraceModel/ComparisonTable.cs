using System.Globalization;
using System.Text;

namespace ZkGateway.TraceModel;

/// <summary>
/// The table of issue 11 for the runs given (one per user storage), beside the figures filed with
/// the issue (today's write path, measured with a counting proxy) and FaaSKeeper's (its HPDC'24
/// artifact on AWS, /work/shared/design/faaskeeper.md §5).
/// </summary>
public static class ComparisonTable
{
    /// <summary>Phase names the benchmark script gives the load tool's runs.</summary>
    public const string Set4 = "set-4B", Set1K = "set-1kB", Set64K = "set-64kB", CreateDelete = "create-delete", Get = "get";

    private sealed record Row(string Measure, Func<RunSummary, string> Value, string Filed, string FaaSKeeper);

    public static string Format(IReadOnlyList<RunSummary> runs)
    {
        var rows = new List<Row>
        {
            new("setData 4 B, $ per 100K", r => Usd(r.Find(Set4, "setData")), "2.08 / 2.49", "0.7–0.9 hybrid, 1.1–1.4 S3"),
            new("setData 1 kB, $ per 100K", r => Usd(r.Find(Set1K, "setData")), "2.58 / 2.86", "0.7–0.9 / 1.1–1.4"),
            new("setData 64 kB, $ per 100K", r => Usd(r.Find(Set64K, "setData")), "34.3 / 26.7", "1.2–1.5 (S3)"),
            new("create + delete pair, $ per 100K", r => Pair(r), "5.50 / 6.60", "—"),
            new("calls per setData (4 B)", r => Calls(r.Find(Set4, "setData")), "22 (9 SQS, 13 DynamoDB) / 23", "2 SQS messages, 4 DynamoDB, 1 S3"),
            new("modeled setData latency, 4 B (median / p90)", r => Latency(r.Find(Set4, "setData")), "127 / 165 ms (median)", "103–114 ms hybrid, 143–149 ms S3 (measured medians)"),
            new("modeled setData latency, 1 kB", r => Latency(r.Find(Set1K, "setData")), "", "110–114 ms hybrid, 146–149 ms S3"),
            new("modeled setData latency, 64 kB", r => Latency(r.Find(Set64K, "setData")), "", "213–244 ms S3"),
            new("modeled create latency (median / p90)", r => Latency(r.Find(CreateDelete, "create")), "", "—"),
            new("getData calls", r => Calls(r.Find(Get, "getData")), "one storage read", "one read (DynamoDB 4.7–6.1 ms, S3 10.7–15.5 ms)"),
            new("setData 4 B on the emulators (median)", r => r.Find(Set4, "setData") is { } s ? Ms(s.EmulatorMedianMs) : "–", "", ""),
        };
        var text = new StringBuilder();
        text.Append("| measure | ").AppendJoin(" | ", runs.Select(r => "ZkGateway " + r.Storage)).AppendLine(" | today, as filed in issue 11 (key-value / persistent) | FaaSKeeper (HPDC'24 artifact, real AWS) |");
        text.Append("|---|").Append(string.Concat(runs.Select(_ => "---|"))).AppendLine("---|---|");
        foreach (var row in rows)
        {
            text.Append("| ").Append(row.Measure).Append(" | ").AppendJoin(" | ", runs.Select(row.Value)).Append(" | ").Append(row.Filed).Append(" | ").Append(row.FaaSKeeper).AppendLine(" |");
        }
        return text.ToString();
    }

    private static string Usd(OperationSummary? s) => s is null ? "–" : s.UsdPer100K.ToString("0.00", CultureInfo.InvariantCulture);

    private static string Pair(RunSummary run) =>
        run.Find(CreateDelete, "create") is { } create && run.Find(CreateDelete, "delete") is { } delete
            ? (create.UsdPer100K + delete.UsdPer100K).ToString("0.00", CultureInfo.InvariantCulture)
            : "–";

    private static string Ms(double ms) => ms.ToString("0", CultureInfo.InvariantCulture) + " ms";

    private static string Latency(OperationSummary? s) => s is null ? "–" : $"{Ms(s.ModeledMedianMs)} / {Ms(s.ModeledP90Ms)}";

    /// <summary>"22.0 (9.0 SQS, 13.0 DynamoDB)": calls per operation, by service.</summary>
    public static string Calls(OperationSummary? s)
    {
        if (s is null)
        {
            return "–";
        }
        static string N(double v) => v.ToString(Math.Abs(v - Math.Round(v)) < 0.05 ? "0" : "0.0", CultureInfo.InvariantCulture);
        var parts = s.CallsPerOpByService.Select(kv => $"{N(kv.Value)} {ServiceName(kv.Key)}");
        return $"{N(s.CallsPerOp)} ({string.Join(", ", parts)})";
    }

    private static string ServiceName(string service) => service switch
    {
        "dynamodb" => "DynamoDB",
        "sqs" => "SQS",
        "s3" => "S3",
        _ => service,
    };
}
