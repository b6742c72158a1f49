using System.Text;
using System.Text.RegularExpressions;

namespace ZkGateway.ProtocolFuzz;

/// <summary>A repeatable difference: the (minimized) input and both servers' outcomes.</summary>
public sealed record Finding(string Seed, string Mutation, WireInput Input, IReadOnlyList<string> ZooKeeper, IReadOnlyList<string> Gateway)
{
    /// <summary>What kind of difference: the first differing lines with numbers and strings blanked, so repeats of one bug group together.</summary>
    public string Kind => DifferentialCampaign.KindOf(ZooKeeper, Gateway);

    /// <summary>The regression-file block (see regressions.txt): the input and ZooKeeper's outcome as the expectation.</summary>
    public string ToRegression(string name)
    {
        var b = new StringBuilder();
        b.AppendLine($"case: {name}");
        b.AppendLine($"input: {Input}");
        foreach (var line in ZooKeeper)
        {
            b.AppendLine($"expect: {line}");
        }
        b.AppendLine("# gateway before the fix:");
        foreach (var line in Gateway)
        {
            b.AppendLine($"#   {line}");
        }
        return b.ToString();
    }
}

/// <summary>
/// Runs inputs against both servers and applies the reporting rule: an input whose outcomes differ is run
/// again on both; if ZooKeeper's second outcome differs from its first, the input shows ZooKeeper's own
/// nondeterminism (timing) and is skipped; if the gateway now agrees, the difference did not repeat;
/// otherwise it is a finding, minimized by dropping writes, frames and trailing bytes while the same kind
/// of difference remains.
/// </summary>
public sealed partial class DifferentialCampaign(int zooKeeperPort, int gatewayPort)
{
    public enum Verdict
    {
        Same,
        ZooKeeperNondeterministic,
        NotRepeated,
        Differs,
    }

    public int Inputs { get; private set; }

    public int Nondeterministic { get; private set; }

    public int NotRepeated { get; private set; }

    public List<Finding> Findings { get; } = [];

    /// <summary>Minimization budget: comparisons per finding.</summary>
    public int MinimizeBudget { get; init; } = 40;

    public static async Task<IReadOnlyList<string>> RunOnceAsync(int port, WireInput input)
    {
        string token = Guid.NewGuid().ToString("N")[..8];
        var concrete = input.WithToken(token);
        var result = await WireExecutor.RunAsync(port, concrete);
        return OutcomeRenderer.Render(concrete, result, token);
    }

    /// <summary>Runs the input on both servers at once (they share nothing), each on its own fresh connection.</summary>
    private async Task<(IReadOnlyList<string> ZooKeeper, IReadOnlyList<string> Gateway)> BothAsync(WireInput input)
    {
        var zk = RunOnceAsync(zooKeeperPort, input);
        var gw = RunOnceAsync(gatewayPort, input);
        return (await zk, await gw);
    }

    public async Task<(Verdict Verdict, IReadOnlyList<string> ZooKeeper, IReadOnlyList<string> Gateway)> CompareAsync(WireInput input)
    {
        var (zk, gw) = await BothAsync(input);
        if (zk.SequenceEqual(gw))
        {
            return (Verdict.Same, zk, gw);
        }
        var (zk2, gw2) = await BothAsync(input);
        if (!zk2.SequenceEqual(zk))
        {
            NondeterministicKinds.Add(KindOf(zk, zk2));
            return (Verdict.ZooKeeperNondeterministic, zk, gw);
        }
        return gw2.SequenceEqual(zk2) ? (Verdict.NotRepeated, zk2, gw2) : (Verdict.Differs, zk2, gw2);
    }

    /// <summary>For each input skipped as nondeterministic: where ZooKeeper's two outcomes first differed.</summary>
    public List<string> NondeterministicKinds { get; } = [];

    /// <summary>Runs one input; a repeatable difference is minimized and kept in <see cref="Findings"/>.</summary>
    public async Task<Verdict> RunAsync(string seed, string mutation, WireInput input)
    {
        Inputs++;
        var (verdict, zk, gw) = await CompareAsync(input);
        switch (verdict)
        {
            case Verdict.ZooKeeperNondeterministic:
                Nondeterministic++;
                break;
            case Verdict.NotRepeated:
                NotRepeated++;
                break;
            case Verdict.Differs:
                Findings.Add(await MinimizeAsync(new Finding(seed, mutation, input, zk, gw)));
                break;
            default:
                break;
        }
        return verdict;
    }

    private async Task<Finding> MinimizeAsync(Finding finding)
    {
        string kind = finding.Kind;
        int budget = MinimizeBudget;
        var best = finding;
        bool progress = true;
        while (progress && budget > 0)
        {
            progress = false;
            foreach (var candidate in Smaller(best.Input))
            {
                if (budget-- <= 0)
                {
                    break;
                }
                var (zk, gw) = await BothAsync(candidate);
                if (!zk.SequenceEqual(gw) && KindOf(zk, gw) == kind)
                {
                    best = best with { Input = candidate, ZooKeeper = zk, Gateway = gw };
                    progress = true;
                    break;
                }
            }
        }
        // The minimized input must still differ by the rule, or the original is kept.
        var (verdict, zk2, gw2) = await CompareAsync(best.Input);
        return verdict == Verdict.Differs ? best with { ZooKeeper = zk2, Gateway = gw2 } : finding;
    }

    /// <summary>Smaller inputs, biggest cuts first: a whole write, a whole frame of a write, the second half of a write.</summary>
    private static IEnumerable<WireInput> Smaller(WireInput input)
    {
        for (int k = input.Writes.Count - 1; k >= 1; k--)
        {
            yield return new WireInput([.. input.Writes.Where((_, i) => i != k)]);
        }
        for (int k = 0; k < input.Writes.Count; k++)
        {
            byte[] bytes = input.Writes[k].Bytes;
            var frames = WireExecutor.Frames(bytes).ToList();
            for (int f = frames.Count - 1; f >= (k == 0 ? 1 : 0); f--)
            {
                int start = f == 0 ? 0 : frames[f - 1].End;
                yield return Replace(input, k, [.. bytes[..start], .. bytes[frames[f].End..]]);
            }
            int cut = frames.Count > 0 ? frames[^1].End : 0;
            if (cut < bytes.Length && cut > 0)
            {
                yield return Replace(input, k, bytes[..cut]);
            }
        }
    }

    private static WireInput Replace(WireInput input, int k, byte[] bytes) =>
        new([.. input.Writes.Select((w, i) => i == k ? w with { Bytes = bytes } : w).Where(w => w.Bytes.Length > 0)]);

    [GeneratedRegex(@"""[^""]*""|[0-9a-f]{8,}|-?\d+")]
    private static partial Regex Variable();

    public static string KindOf(IReadOnlyList<string> zooKeeper, IReadOnlyList<string> gateway)
    {
        int n = Math.Min(zooKeeper.Count, gateway.Count);
        int at = Enumerable.Range(0, n).FirstOrDefault(i => zooKeeper[i] != gateway[i], n);
        string z = at < zooKeeper.Count ? zooKeeper[at] : "<end>";
        string g = at < gateway.Count ? gateway[at] : "<end>";
        return $"zookeeper: {Variable().Replace(z, "#")}  gateway: {Variable().Replace(g, "#")}";
    }

    /// <summary>A finding as text: the input, where the outcomes first differ, and both outcomes in full.</summary>
    public static string Report(Finding f)
    {
        var b = new StringBuilder();
        b.AppendLine($"seed {f.Seed}, mutation {f.Mutation}");
        b.AppendLine($"input: {f.Input}");
        b.AppendLine($"kind: {f.Kind}");
        b.AppendLine("zookeeper:");
        f.ZooKeeper.ToList().ForEach(l => b.AppendLine("    " + l));
        b.AppendLine("gateway:");
        f.Gateway.ToList().ForEach(l => b.AppendLine("    " + l));
        return b.ToString();
    }
}
