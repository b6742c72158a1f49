namespace ZkGateway.Nemesis;

/// <summary>One run's results: the row docs/reliability.md shows per nemesis and backend.</summary>
public sealed record RunReport(
    string Nemesis,
    string Target,
    int Seed,
    TimeSpan Duration,
    int Operations,
    int Unknown,
    int Faults,
    int Expiries,
    int LostWrites,
    TimeSpan? MaxRecovery,
    IReadOnlyList<string> Violations,
    IReadOnlyList<string> Notes,
    int WatchEvents,
    int EphemeralProbes,
    IReadOnlyList<TimeSpan> WriteGaps,
    IReadOnlyList<TimeSpan> FirstWritesAfterHeal)
{
    public const string TableHeader =
        "| nemesis | backend | seed | duration | operations | indeterminate | faults | sessions expired | violations | lost writes | recovery (max) |\n" +
        "|---|---|---|---|---|---|---|---|---|---|---|";

    public string TableRow =>
        $"| {Nemesis} | {Target} | {Seed} | {Duration.TotalSeconds:0} s | {Operations} | {Unknown} | {Faults} | {Expiries} | {Violations.Count} | {LostWrites} | " +
        $"{(MaxRecovery is { } r ? $"{r.TotalSeconds:0.00} s" : "not served again")} |";

    public override string ToString() =>
        TableHeader + "\n" + TableRow + $"\nchecked: {WatchEvents} watch events, {EphemeralProbes} ephemeral probes" +
        $"\nlongest write gap per fault: {Seconds(WriteGaps)}; first write after each heal: {Seconds(FirstWritesAfterHeal)}" +
        (Violations.Count > 0 ? "\nviolations:\n  " + string.Join("\n  ", Violations.Take(20)) : "") +
        (Notes.Count > 0 ? "\nnotes:\n  " + string.Join("\n  ", Notes.Distinct().Take(20)) : "");

    private static string Seconds(IEnumerable<TimeSpan> times) => string.Join(", ", times.Select(t => $"{t.TotalSeconds:0.00} s"));
}
