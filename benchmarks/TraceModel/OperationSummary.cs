using ZkGateway.Backend.Diagnostics;
using ZkGateway.Backend.Metering;

namespace ZkGateway.TraceModel;

/// <summary>What one kind of operation of one measured phase cost: latency on the emulators and modeled on AWS, calls and dollars per operation.</summary>
public sealed record OperationSummary(
    string Phase,
    string Operation,
    int Count,
    double ModeledMedianMs,
    double ModeledP90Ms,
    double EmulatorMedianMs,
    IReadOnlyDictionary<string, double> CallsPerOpByService,
    IReadOnlyDictionary<string, double> CallsPerOpByApi,
    decimal UsdPer100K,
    string MedianPath)
{
    public double CallsPerOp => CallsPerOpByService.Values.Sum();

    /// <summary>
    /// Summarizes the <paramref name="operation"/> requests (gateway write or read spans) that started and
    /// ended inside [<paramref name="fromUs"/>, <paramref name="toUs"/>].
    /// </summary>
    public static OperationSummary? Of(TraceIndex index, string phase, string operation, long fromUs, long toUs)
    {
        bool read = operation is "getData" or "exists" or "getChildren" or "getChildren2";
        var requests = (read ? index.Reads : index.Writes)
            .Where(s => s.Tag(CloudTrace.OperationTag) == operation && s.Start >= fromUs && s.End <= toUs && s.Tag(CloudTrace.ErrorTag) is null)
            .ToList();
        if (requests.Count == 0)
        {
            return null;
        }
        var keys = requests.Select(r => read ? TraceIndex.ReadKey(r) : r.Tag(CloudTrace.RequestKeyTag)!).ToList();
        var wanted = new HashSet<string>(keys, StringComparer.Ordinal);
        var byService = new Dictionary<string, double>(StringComparer.Ordinal);
        var byApi = new Dictionary<string, double>(StringComparer.Ordinal);
        decimal usd = 0;
        var callsOf = new Dictionary<string, List<Span>>(StringComparer.Ordinal);
        foreach (var call in index.Calls)
        {
            var served = index.KeysOf(call);
            if (served.Count == 0)
            {
                continue;
            }
            int ours = served.Count(wanted.Contains);
            if (ours == 0)
            {
                continue;
            }
            // A batch's call serves all its requests: each gets its share.
            double share = (double)ours / served.Count;
            byService[call.Service] = byService.GetValueOrDefault(call.Service) + share;
            string api = call.Service + "." + call.Api;
            byApi[api] = byApi.GetValueOrDefault(api) + share;
            usd += (decimal)share * PriceOf(call);
            foreach (string key in served.Where(wanted.Contains))
            {
                if (!callsOf.TryGetValue(key, out var list))
                {
                    callsOf[key] = list = [];
                }
                list.Add(call);
            }
        }
        var modeled = new List<(double Ms, IReadOnlyList<PathStep> Path)>();
        for (int i = 0; i < requests.Count; i++)
        {
            var path = read
                ? [.. (callsOf.GetValueOrDefault(keys[i]) ?? []).Select(c => new PathStep(c.Kind, c.Start, c.End, c.Process, c.Api))]
                : CriticalPath.Of(index, requests[i], keys[i]);
            modeled.Add((CriticalPath.ModeledMs(path), path));
        }
        modeled.Sort((a, b) => a.Ms.CompareTo(b.Ms));
        var median = modeled[(modeled.Count - 1) / 2];
        int n = requests.Count;
        return new OperationSummary(
            phase,
            operation,
            n,
            median.Ms,
            NearestRank(modeled.Select(m => m.Ms).ToList(), 0.90),
            NearestRank([.. requests.Select(r => r.DurationMs).Order()], 0.50),
            byService.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToDictionary(kv => kv.Key, kv => kv.Value / n, StringComparer.Ordinal),
            byApi.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToDictionary(kv => kv.Key, kv => kv.Value / n, StringComparer.Ordinal),
            usd / n * 100_000m,
            Describe(median.Path));
    }

    /// <summary>The price of one call at the cost meter's prices (<see cref="Prices"/>), from its span's units.</summary>
    public static decimal PriceOf(Span call) => call.Service == "dynamodb"
        ? Prices.OfCapacity((decimal)call.TagNumber(CloudTrace.ReadUnitsTag), (decimal)call.TagNumber(CloudTrace.WriteUnitsTag))
        : Prices.Of(call.Service, call.Api, (long)call.TagNumber(CloudTrace.UnitsTag));

    /// <summary>The nearest-rank percentile of sorted values.</summary>
    public static double NearestRank(IReadOnlyList<double> sorted, double p) =>
        sorted.Count == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];

    private static string Describe(IReadOnlyList<PathStep> path) =>
        string.Join(" → ", path.Select(s => s.Kind == "queue-hop" ? $"hop({s.What})" : s.What));
}
