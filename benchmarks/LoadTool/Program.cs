using System.Globalization;
using System.Text.Json;
using ZkGateway.LoadTool;

return await LoadToolCli.MainAsync(args, Console.Out, Console.Error);

/// <summary>Command line of the load tool (see <see cref="Usage"/>).</summary>
public static class LoadToolCli
{
    public const string Usage = """
        ZkGateway load tool: a pipelined ZooKeeper-wire client that measures latency and throughput.

          --target host:port        server to load (default 127.0.0.1:2181)
          --compare A,B             run the same workload against A and B, interleaved, and print B/A
          --rounds N                rounds in compare mode (default 3)
          --mix get=80,set=20       weights of: get, set, create_delete, exists, children, multi (default get=1)
          --value-size BYTES        data size for the node and for writes (default 100)
          --connections N           sessions (default 1)
          --outstanding N           requests in flight per connection (default 1)
          --duration 5s             measured time (default 5s), or
          --count N                 measured operations in total
          --warmup 1s               unmeasured warm-up (default 1s)
          --json PATH               also write the results as JSON
          --label TEXT              a name for this workload in the output
          --tls-ca PATH             connect over TLS; the server certificate must chain to this PEM CA file
          --tls-cert PATH           with --tls-ca: the client certificate and key (PKCS12)
          --tls-password TEXT       the PKCS12 password
          --populate N              instead of a workload: create N znodes of --value-size bytes under
                                    /zkbench-pop-<id> (connections x outstanding in flight) and leave
                                    them there (for memory measurements); --cleanup deletes them after
          --parents N               with --populate: spread the znodes over N parents (default 1)
          --sessions N              instead of a workload: open N sessions (one connection each, --connections
                                    of them connecting at a time), one exists("/") on each, hold them
                                    --hold seconds (default 5), then close them
          --read-path PATH          get, exists and children read this existing node instead of the run's own
          --watches N               instead of a workload: set a data watch on each of the first N znodes that
                                    --populate made under --watch-prefix (same --parents), over --connections
                                    sessions x --outstanding in flight; hold them --hold seconds; then setData
                                    each from other sessions and time the fan-out to the last event
          --watch-prefix PATH       with --watches: the prefix --populate printed
          --loopback N              instead of a workload: N getData and N setData round trips (one in flight)
                                    to an in-process peer that answers at once with replies of --value-size
                                    bytes: the machine's loopback limit as this client sees it
        """;

    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    public static async Task<int> MainAsync(string[] args, TextWriter output, TextWriter error)
    {
        LoadOptions options;
        string[]? compare = null;
        int rounds = 3;
        string? jsonPath = null;
        string label = "";
        long? populate = null;
        bool cleanup = false;
        int parents = 1;
        int? sessions = null;
        double holdSeconds = 5;
        long? watches = null;
        string? watchPrefix = null;
        int? loopback = null;
        string? tlsCa = null, tlsCert = null, tlsPassword = null;
        try
        {
            options = new LoadOptions();
            for (int i = 0; i < args.Length; i++)
            {
                string arg = args[i];
                string key = arg;
                string? inline = null;
                int eq = arg.IndexOf('=');
                if (arg.StartsWith("--", StringComparison.Ordinal) && eq > 0)
                {
                    key = arg[..eq];
                    inline = arg[(eq + 1)..];
                }
                string Value() => inline ?? (i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{key} needs a value."));
                switch (key)
                {
                    case "-h" or "--help":
                        output.WriteLine(Usage);
                        return 0;
                    case "--target": options = options with { Target = Value() }; break;
                    case "--compare":
                        compare = Value().Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
                        if (compare.Length != 2)
                        {
                            throw new ArgumentException("--compare takes two addresses: A,B.");
                        }
                        break;
                    case "--rounds": rounds = PositiveInt(key, Value()); break;
                    case "--mix": options = options with { Mix = LoadOptions.ParseMix(Value()) }; break;
                    case "--value-size": options = options with { ValueSize = int.Parse(Value(), CultureInfo.InvariantCulture) }; break;
                    case "--connections": options = options with { Connections = PositiveInt(key, Value()) }; break;
                    case "--outstanding": options = options with { Outstanding = PositiveInt(key, Value()) }; break;
                    case "--duration": options = options with { Duration = LoadOptions.ParseDuration(Value()) }; break;
                    case "--count": options = options with { Count = PositiveInt(key, Value()) }; break;
                    case "--warmup": options = options with { Warmup = LoadOptions.ParseDuration(Value()) }; break;
                    case "--json": jsonPath = Value(); break;
                    case "--label": label = Value(); break;
                    case "--populate": populate = long.Parse(Value(), CultureInfo.InvariantCulture); break;
                    case "--cleanup": cleanup = true; break;
                    case "--parents": parents = PositiveInt(key, Value()); break;
                    case "--sessions": sessions = PositiveInt(key, Value()); break;
                    case "--hold": holdSeconds = double.Parse(Value(), CultureInfo.InvariantCulture); break;
                    case "--read-path": options = options with { ReadPath = Value() }; break;
                    case "--watches": watches = PositiveInt(key, Value()); break;
                    case "--watch-prefix": watchPrefix = Value(); break;
                    case "--loopback": loopback = PositiveInt(key, Value()); break;
                    case "--tls-ca": tlsCa = Value(); break;
                    case "--tls-cert": tlsCert = Value(); break;
                    case "--tls-password": tlsPassword = Value(); break;
                    default: throw new ArgumentException($"Unknown option {arg}.");
                }
            }
            if (tlsCa is not null)
            {
                options = options with { Tls = new TlsClientOptions { CaPath = tlsCa, CertificatePath = tlsCert, CertificatePassword = tlsPassword } };
            }
            else if (tlsCert is not null)
            {
                throw new ArgumentException("--tls-cert needs --tls-ca (the CA the server's certificate must chain to).");
            }
            if (options.ValueSize < 0)
            {
                throw new ArgumentException("--value-size must be >= 0.");
            }
            if (compare is not null)
            {
                LoadOptions.ParseAddress(compare[0]);
                LoadOptions.ParseAddress(compare[1]);
            }
            else
            {
                options.ParseTarget();
            }
        }
        catch (Exception e) when (e is ArgumentException or FormatException or OverflowException)
        {
            error.WriteLine(e.Message);
            error.WriteLine(Usage);
            return 2;
        }

        if (loopback is int probeCount)
        {
            var probe = await LoopbackProbe.RunAsync(options.ValueSize, probeCount);
            output.WriteLine($"loopback to a peer that does no work, {probe.ValueSize} B values: getData p50 {probe.Get.P50Us:0.0} us (p99 {probe.Get.P99Us:0.0}), " +
                $"setData p50 {probe.Set.P50Us:0.0} us (p99 {probe.Set.P99Us:0.0}), {probeCount} round trips each");
            if (jsonPath is not null)
            {
                await File.WriteAllTextAsync(jsonPath, JsonSerializer.Serialize(new { mode = "loopback", label, result = probe }, JsonOptions));
            }
            return 0;
        }

        if (watches is long watchCount)
        {
            if (watchPrefix is null)
            {
                error.WriteLine("--watches needs --watch-prefix (the prefix a --populate run printed).");
                return 2;
            }
            var (host, port) = options.ParseTarget();
            var w = await new WatchFanout(host, port, watchPrefix, parents, watchCount, options.Connections, options.Outstanding,
                TimeSpan.FromSeconds(holdSeconds), output).RunAsync();
            output.WriteLine($"{w.Target}: fan-out of {w.EventsReceived:N0} NodeDataChanged events in {(w.FanoutSeconds is double f ? $"{f:0.00} s" : "(incomplete)")}, errors {w.Errors}");
            foreach (var e in w.ErrorSamples)
            {
                output.WriteLine($"    error: {e}");
            }
            if (jsonPath is not null)
            {
                await File.WriteAllTextAsync(jsonPath, JsonSerializer.Serialize(new { mode = "watches", label, result = w }, JsonOptions));
            }
            return w.Errors > 0 ? 1 : 0;
        }

        if (sessions is int sessionCount)
        {
            var (host, port) = options.ParseTarget();
            var opened = await new SessionOpener(host, port, sessionCount, options.Connections, TimeSpan.FromSeconds(holdSeconds), output).RunAsync();
            foreach (var e in opened.ErrorSamples)
            {
                output.WriteLine($"    error: {e}");
            }
            if (jsonPath is not null)
            {
                await File.WriteAllTextAsync(jsonPath, JsonSerializer.Serialize(new { mode = "sessions", label, result = opened }, JsonOptions));
            }
            return opened.Errors > 0 ? 1 : 0;
        }

        if (populate is long toCreate)
        {
            if (compare is not null || toCreate <= 0)
            {
                error.WriteLine("--populate needs a positive count and a --target (not --compare).");
                return 2;
            }
            var pop = await new Populator(options, toCreate, cleanup, error, parents).RunAsync();
            output.WriteLine($"{pop.Target}: created {pop.Created:N0} of {pop.Requested:N0} znodes ({pop.ValueSize} B) under {pop.Prefix} " +
                $"in {pop.ElapsedSeconds:0.00} s = {pop.CreatesPerSecond:0} creates/s with {pop.Connections} conn x {pop.Outstanding} outstanding, errors {pop.Errors}");
            foreach (var e in pop.ErrorSamples)
            {
                output.WriteLine($"    error: {e}");
            }
            if (jsonPath is not null)
            {
                await File.WriteAllTextAsync(jsonPath, JsonSerializer.Serialize(new { mode = "populate", label, result = pop }, JsonOptions));
            }
            return pop.Errors > 0 ? 1 : 0;
        }

        string workload = $"{label}{(label.Length > 0 ? ": " : "")}mix {LoadOptions.FormatMix(options.Mix)}, value {options.ValueSize} B, " +
            $"{options.Connections} conn x {options.Outstanding} outstanding, " + (options.Tls is null ? "" : "TLS, ") +
            (options.Count is long n ? $"{n} ops" : $"{options.Duration.TotalSeconds:0.###} s") + $", warmup {options.Warmup.TotalSeconds:0.###} s";
        output.WriteLine(workload);
        long errors;
        if (compare is null)
        {
            var result = await new LoadRunner(options, error).RunAsync();
            PrintRun(output, result);
            errors = result.Total.Errors;
            if (jsonPath is not null)
            {
                await File.WriteAllTextAsync(jsonPath, JsonSerializer.Serialize(new { mode = "single", label, workload, result }, JsonOptions));
            }
        }
        else
        {
            var a = new List<RunResult>();
            var b = new List<RunResult>();
            for (int r = 0; r < rounds; r++)
            {
                foreach (var (target, list, name) in new[] { (compare[0], a, "A"), (compare[1], b, "B") })
                {
                    var result = await new LoadRunner(options with { Target = target }, error).RunAsync();
                    list.Add(result);
                    output.Write($"round {r + 1} {name} ");
                    PrintRun(output, result);
                }
            }
            var summary = Compare(a, b);
            output.WriteLine();
            output.WriteLine($"A = {compare[0]}, B = {compare[1]}; median of {rounds} rounds [min-max]");
            output.WriteLine("| metric | A | B | B/A |");
            output.WriteLine("|---|---:|---:|---:|");
            foreach (var m in summary)
            {
                output.WriteLine($"| {m.Metric} | {m.AMedian:0} [{m.AMin:0}-{m.AMax:0}] | {m.BMedian:0} [{m.BMin:0}-{m.BMax:0}] | {m.Ratio:0.00} |");
            }
            errors = a.Sum(x => x.Total.Errors) + b.Sum(x => x.Total.Errors);
            if (jsonPath is not null)
            {
                await File.WriteAllTextAsync(jsonPath, JsonSerializer.Serialize(new { mode = "compare", label, workload, a = compare[0], b = compare[1], rounds, summary, runsA = a, runsB = b }, JsonOptions));
            }
        }
        if (errors > 0)
        {
            error.WriteLine($"{errors} operations failed.");
            return 1;
        }
        return 0;
    }

    /// <summary>One metric of a compare: medians and ranges over the rounds, and B's median over A's.</summary>
    public sealed record MetricComparison(string Metric, double AMedian, double AMin, double AMax, double BMedian, double BMin, double BMax, double Ratio);

    public static IReadOnlyList<MetricComparison> Compare(IReadOnlyList<RunResult> a, IReadOnlyList<RunResult> b)
    {
        var metrics = new (string Name, Func<LatencySummary, double> Get)[]
        {
            ("ops/s", s => s.OpsPerSecond),
            ("p50 us", s => s.P50Us),
            ("p90 us", s => s.P90Us),
            ("p99 us", s => s.P99Us),
            ("p99.9 us", s => s.P999Us),
        };
        return metrics.Select(m =>
        {
            var av = a.Select(r => m.Get(r.Total)).ToList();
            var bv = b.Select(r => m.Get(r.Total)).ToList();
            double am = Median(av), bm = Median(bv);
            return new MetricComparison(m.Name, am, av.Min(), av.Max(), bm, bv.Min(), bv.Max(), am == 0 ? double.NaN : bm / am);
        }).ToList();
    }

    public static double Median(IReadOnlyList<double> values)
    {
        var sorted = values.Order().ToList();
        int mid = sorted.Count / 2;
        return sorted.Count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    private static void PrintRun(TextWriter output, RunResult r)
    {
        var t = r.Total;
        output.WriteLine($"{r.Target}: {t.Ops} ops in {r.ElapsedSeconds:0.00} s = {t.OpsPerSecond:0} ops/s, " +
            $"p50 {t.P50Us:0} us, p90 {t.P90Us:0}, p99 {t.P99Us:0}, p99.9 {t.P999Us:0}, max {t.MaxUs:0}, errors {t.Errors}");
        if (r.PerOp.Count > 1)
        {
            foreach (var (name, s) in r.PerOp)
            {
                output.WriteLine($"    {name}: {s.Ops} ops, p50 {s.P50Us:0} us, p99 {s.P99Us:0}");
            }
        }
        foreach (var e in r.ErrorSamples)
        {
            output.WriteLine($"    error: {e}");
        }
    }

    private static int PositiveInt(string key, string value)
    {
        int n = int.Parse(value, CultureInfo.InvariantCulture);
        return n > 0 ? n : throw new ArgumentException($"{key} must be positive.");
    }
}
