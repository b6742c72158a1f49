using System.Globalization;
using ZkGateway.TraceModel;

return TraceModelCli.Run(args, Console.Out, Console.Error);

/// <summary>Command line of the trace model (see <see cref="Usage"/>).</summary>
public static class TraceModelCli
{
    public const string Usage = """
        ZkGateway trace model: each write's critical path across processes, modeled on AWS with
        FaaSKeeper's measured medians, and its cost at the cost meter's prices, from a run's span files
        (ZKGW_TRACE_FILE, one per process).

          analyze --trace FILE [--trace FILE ...] --phase NAME=LOADTOOL.json:op[,op] [--phase ...]
                  [--storage NAME] [--options TEXT] [--json OUT]
              per phase (the load tool's measured window) and operation: modeled latency (median,
              p90), calls per operation by service and API, $ per 100K operations
          table --run FILE.json [--run FILE.json ...]
              issue 11's table for the runs (analyze --json outputs) beside the filed and FaaSKeeper figures
        """;

    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help")
        {
            output.WriteLine(Usage);
            return args.Length == 0 ? 2 : 0;
        }
        var traces = new List<string>();
        var phases = new List<(string Name, string Json, string[] Operations)>();
        var runs = new List<string>();
        string storage = "", options = "";
        string? jsonOut = null;
        try
        {
            for (int i = 1; i < args.Length; i++)
            {
                string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
                switch (args[i])
                {
                    case "--trace": traces.Add(Value()); break;
                    case "--phase":
                    {
                        string spec = Value();
                        int eq = spec.IndexOf('='), colon = spec.LastIndexOf(':');
                        if (eq <= 0 || colon < eq)
                        {
                            throw new ArgumentException($"--phase {spec}: expected NAME=FILE.json:op[,op]");
                        }
                        phases.Add((spec[..eq], spec[(eq + 1)..colon], spec[(colon + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries)));
                        break;
                    }
                    case "--storage": storage = Value(); break;
                    case "--options": options = Value(); break;
                    case "--json": jsonOut = Value(); break;
                    case "--run": runs.Add(Value()); break;
                    default: throw new ArgumentException($"Unknown option {args[i]}.");
                }
            }
        }
        catch (ArgumentException e)
        {
            error.WriteLine(e.Message);
            error.WriteLine(Usage);
            return 2;
        }

        switch (args[0])
        {
            case "analyze":
            {
                var index = TraceIndex.Load(traces);
                var operations = new List<OperationSummary>();
                foreach (var (name, json, ops) in phases)
                {
                    var (from, to) = RunSummary.WindowOf(json);
                    foreach (string op in ops)
                    {
                        if (OperationSummary.Of(index, name, op, from, to) is { } summary)
                        {
                            operations.Add(summary);
                            Print(output, summary);
                        }
                        else
                        {
                            error.WriteLine($"{name}: no traced {op} request in its measured window");
                        }
                    }
                }
                if (jsonOut is not null)
                {
                    File.WriteAllText(jsonOut, new RunSummary(storage, options, operations).ToJson());
                }
                return operations.Count > 0 ? 0 : 1;
            }
            case "table":
                output.Write(ComparisonTable.Format([.. runs.Select(r => RunSummary.FromJson(File.ReadAllText(r)))]));
                return 0;
            default:
                error.WriteLine(Usage);
                return 2;
        }
    }

    private static void Print(TextWriter output, OperationSummary s)
    {
        var c = CultureInfo.InvariantCulture;
        output.WriteLine(string.Create(c, $"{s.Phase} {s.Operation}: {s.Count} requests; modeled on AWS median {s.ModeledMedianMs:0} ms, p90 {s.ModeledP90Ms:0} ms (emulators: median {s.EmulatorMedianMs:0.0} ms); {ComparisonTable.Calls(s)} calls; ${s.UsdPer100K:0.00} per 100K"));
        output.WriteLine("    per op: " + string.Join(", ", s.CallsPerOpByApi.Select(kv => string.Create(c, $"{kv.Key} {kv.Value:0.##}"))));
        output.WriteLine("    median path: " + s.MedianPath);
    }
}
