namespace ZkGateway.Nemesis;

/// <summary>
/// Short mode (the default, in the README's test command): each nemesis injects its fixed number of
/// faults with seed 17. Long mode: <c>NEMESIS_SECONDS=N</c> keeps injecting for N seconds;
/// <c>NEMESIS_SEED</c> picks the seed; <c>NEMESIS_REPORT=file</c> appends each run's table row there;
/// <c>NEMESIS_LOGS=1</c> prints the servers' logs after a run that passed too (to trace what a
/// passing run still did, such as a session it expired).
/// </summary>
public sealed record NemesisSettings(int Seed, TimeSpan? Duration, string? ReportFile)
{
    public bool PrintLogs { get; init; } = Environment.GetEnvironmentVariable("NEMESIS_LOGS") == "1";

    public static NemesisSettings FromEnvironment() => new(
        int.TryParse(Environment.GetEnvironmentVariable("NEMESIS_SEED"), out int seed) ? seed : 17,
        int.TryParse(Environment.GetEnvironmentVariable("NEMESIS_SECONDS"), out int seconds) && seconds > 0 ? TimeSpan.FromSeconds(seconds) : null,
        Environment.GetEnvironmentVariable("NEMESIS_REPORT") is { Length: > 0 } file ? file : null);
}
