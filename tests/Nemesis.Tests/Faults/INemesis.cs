using ZkGateway.Compat.Infrastructure;

namespace ZkGateway.Nemesis.Faults;

/// <summary>
/// A fault the suite injects into a running server and heals again. The runner calls
/// <see cref="PrepareAsync"/> before the server's first start, then alternates
/// <see cref="InjectAsync"/> and <see cref="HealAsync"/>, and <see cref="CleanUpAsync"/> at the end.
/// </summary>
public interface INemesis
{
    string Name { get; }

    /// <summary>How long one fault lasts.</summary>
    TimeSpan Hold(Random random);

    /// <summary>
    /// Recovery is timed from the end of <see cref="HealAsync"/> rather than its start: its heal starts
    /// a process that serves no client itself (a function host), so its start-up is no client's wait.
    /// </summary>
    bool RecoveryFromHealed => false;

    /// <summary>
    /// The next fault waits until every worker was answered after the last heal, so each fault's
    /// recovery is measured whole (a function host killed again before its first batch measures nothing).
    /// </summary>
    bool NextFaultAfterRecovery => false;

    /// <summary>Faults in the short (fixed) mode.</summary>
    int ShortModeFaults { get; }

    Task PrepareAsync(ProcessZkTarget target) => Task.CompletedTask;

    Task InjectAsync(ProcessZkTarget target);

    Task HealAsync(ProcessZkTarget target);

    Task CleanUpAsync(ProcessZkTarget target) => Task.CompletedTask;

    /// <summary>What the fault itself must not have caused, beyond the history's checks (read once the run is over).</summary>
    IReadOnlyList<string> Violations(IReadOnlyList<History.Operation> history) => [];

    /// <summary>What the fault did, for the report (e.g. that the server exited and was restarted).</summary>
    IReadOnlyList<string> Notes => [];
}
