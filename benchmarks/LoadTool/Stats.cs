using System.Diagnostics;

namespace ZkGateway.LoadTool;

/// <summary>Latency summary in microseconds (nearest-rank percentiles) and throughput.</summary>
public sealed record LatencySummary(long Ops, long Errors, double OpsPerSecond, double MeanUs, double P50Us, double P90Us, double P99Us, double P999Us, double MaxUs)
{
    public static LatencySummary From(List<long> ticks, long errors, TimeSpan elapsed)
    {
        if (ticks.Count == 0)
        {
            return new LatencySummary(0, errors, 0, 0, 0, 0, 0, 0, 0);
        }
        ticks.Sort();
        double toUs = 1_000_000.0 / Stopwatch.Frequency;
        double Rank(double p)
        {
            // Nearest rank: the smallest value with at least p of the samples at or below it.
            int index = (int)Math.Ceiling(p * ticks.Count) - 1;
            return ticks[Math.Clamp(index, 0, ticks.Count - 1)] * toUs;
        }
        double sum = 0;
        foreach (long t in ticks)
        {
            sum += t;
        }
        return new LatencySummary(
            ticks.Count,
            errors,
            ticks.Count / Math.Max(elapsed.TotalSeconds, 1e-9),
            sum / ticks.Count * toUs,
            Rank(0.50),
            Rank(0.90),
            Rank(0.99),
            Rank(0.999),
            ticks[^1] * toUs);
    }
}

/// <summary>The result of one run against one target.</summary>
public sealed record RunResult(
    string Target,
    string Mix,
    int ValueSize,
    int Connections,
    int Outstanding,
    double ElapsedSeconds,
    LatencySummary Total,
    IReadOnlyDictionary<string, LatencySummary> PerOp,
    IReadOnlyList<string> ErrorSamples)
{
    /// <summary>When the measured phase began and ended (UTC): a trace of the run is cut to it (benchmarks/TraceModel).</summary>
    public DateTime MeasureStartUtc { get; init; }

    public DateTime MeasureEndUtc { get; init; }
}
