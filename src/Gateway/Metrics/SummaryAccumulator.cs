namespace ZkGateway.Gateway.Metrics;

/// <summary>
/// One ZooKeeper summary as its DefaultMetricsProvider keeps it (AvgMinMaxCounter, and with percentiles
/// AvgMinMaxPercentileCounter): count, sum, min, max, and for an advanced summary the percentiles of a
/// window of recent samples. Lock-free, since latencies are added on every reply.
/// </summary>
public sealed class SummaryAccumulator
{
    // Percentiles come from the last WindowSize samples (ZooKeeper uses a 1028-sample reservoir).
    private const int WindowSize = 1024;

    private readonly long[]? _window;
    private long _count;
    private long _sum;
    private long _min = long.MaxValue;
    private long _max = long.MinValue;

    public SummaryAccumulator(string name, bool advanced)
    {
        Name = name;
        _window = advanced ? new long[WindowSize] : null;
    }

    /// <summary>The metric's name (monitor prints it with avg_/min_/... prefixes).</summary>
    public string Name { get; }

    /// <summary>Whether the percentiles are kept (DetailLevel.ADVANCED).</summary>
    public bool Advanced => _window is not null;

    /// <summary>Called with every sample: the Prometheus summary of the same name, when it is on.</summary>
    public Action<long>? Observer { get; set; }

    public void Add(long value)
    {
        long n = Interlocked.Increment(ref _count);
        Interlocked.Add(ref _sum, value);
        AtomicMin(ref _min, value);
        AtomicMax(ref _max, value);
        if (_window is not null)
        {
            Volatile.Write(ref _window[(n - 1) % WindowSize], value);
        }
        Observer?.Invoke(value);
    }

    public void Reset()
    {
        Interlocked.Exchange(ref _count, 0);
        Interlocked.Exchange(ref _sum, 0);
        Interlocked.Exchange(ref _min, long.MaxValue);
        Interlocked.Exchange(ref _max, long.MinValue);
    }

    /// <summary>The values ZooKeeper's dump gives: avg (a double rounded to 4 places), min, max, cnt, sum, then p50–p999.</summary>
    public IEnumerable<KeyValuePair<string, object>> Values()
    {
        long count = Interlocked.Read(ref _count);
        long sum = Interlocked.Read(ref _sum);
        yield return new("avg_" + Name, count == 0 ? 0.0 : Math.Round((double)sum / count, 4, MidpointRounding.AwayFromZero));
        yield return new("min_" + Name, count == 0 ? 0L : Interlocked.Read(ref _min));
        yield return new("max_" + Name, count == 0 ? 0L : Interlocked.Read(ref _max));
        yield return new("cnt_" + Name, count);
        yield return new("sum_" + Name, sum);
        if (_window is null)
        {
            yield break;
        }
        var samples = new long[(int)Math.Min(count, WindowSize)];
        for (int i = 0; i < samples.Length; i++)
        {
            samples[i] = Volatile.Read(ref _window[i]);
        }
        Array.Sort(samples);
        yield return new("p50_" + Name, Percentile(samples, 0.5));
        yield return new("p95_" + Name, Percentile(samples, 0.95));
        yield return new("p99_" + Name, Percentile(samples, 0.99));
        yield return new("p999_" + Name, Percentile(samples, 0.999));
    }

    // Nearest rank: the smallest sample with at least q of the window at or below it.
    private static long Percentile(long[] sorted, double q) =>
        sorted.Length == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)];

    private static void AtomicMin(ref long target, long value)
    {
        long current;
        while (value < (current = Interlocked.Read(ref target)) && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }

    private static void AtomicMax(ref long target, long value)
    {
        long current;
        while (value > (current = Interlocked.Read(ref target)) && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }
}
