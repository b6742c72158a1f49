namespace ZkGateway.ProtocolFuzz;

/// <summary>
/// regressions.txt: the fuzzer's minimized findings, each kept with ZooKeeper 3.8.0's outcome. A block is
/// <c>case: name</c>, <c>input: hex</c> (the <see cref="WireInput"/> text form) and <c>expect:</c> lines;
/// <c>#</c> lines are comments (the issue item, and what the gateway did before the fix).
/// </summary>
public sealed record RegressionCases(string Name, WireInput Input, IReadOnlyList<string> Expected)
{
    public static IReadOnlyList<RegressionCases> Load()
    {
        string file = Path.Combine(AppContext.BaseDirectory, "regressions.txt");
        var cases = new List<RegressionCases>();
        string? name = null;
        WireInput? input = null;
        var expected = new List<string>();
        foreach (var raw in File.ReadLines(file).Append("case: <end>"))
        {
            if (raw.StartsWith('#') || raw.Trim().Length == 0)
            {
                continue;
            }
            if (raw.StartsWith("case: ", StringComparison.Ordinal))
            {
                if (name is not null)
                {
                    cases.Add(new RegressionCases(name, input ?? throw new InvalidDataException($"case {name} has no input"), [.. expected]));
                }
                name = raw[6..];
                input = null;
                expected.Clear();
            }
            else if (raw.StartsWith("input: ", StringComparison.Ordinal))
            {
                input = WireInput.Parse(raw[7..]);
            }
            else if (raw.StartsWith("expect: ", StringComparison.Ordinal))
            {
                expected.Add(raw[8..]);
            }
            else
            {
                throw new InvalidDataException($"regressions.txt: unexpected line {raw}");
            }
        }
        return cases;
    }
}
