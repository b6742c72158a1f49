using ZkGateway.Compat.Infrastructure;
using ZkGateway.Nemesis.History;

namespace ZkGateway.Nemesis.Faults;

/// <summary>
/// The embedded store's fsync fails (the <c>store-fsync</c> failpoint armed with <c>fail(file)</c>:
/// the gateway is started with it, and the fault creates the file). After the first failure the
/// gateway must acknowledge no write until it is restarted, even once fsync works again (PostgreSQL's
/// fsyncgate: the pages that failed may be gone, and the next fsync would report success), and say so
/// in its log. The heal makes fsync work, waits a moment (writes must still be refused), then restarts.
/// </summary>
public sealed class FsyncFailureNemesis : INemesis
{
    private readonly string _trigger = Path.Combine(Path.GetTempPath(), $"nemesis-fsync-{Environment.ProcessId}-{Guid.NewGuid():N}");
    private readonly List<(long From, long To)> _refusing = [];
    private readonly List<string> _violations = [];

    public string Name => "fsync failure";

    public int ShortModeFaults => 1;


    public TimeSpan Hold(Random random) => TimeSpan.FromMilliseconds(700 + random.Next(500));

    /// <summary>Arms the failpoint in the gateway's environment, read once at start.</summary>
    public Task PrepareAsync(ProcessZkTarget target)
    {
        target.ExtraEnvironment["ZKGW_FAILPOINTS"] = $"store-fsync=fail({_trigger})";
        return Task.CompletedTask;
    }

    public Task InjectAsync(ProcessZkTarget target)
    {
        File.WriteAllText(_trigger, "");
        return Task.CompletedTask;
    }

    public async Task HealAsync(ProcessZkTarget target)
    {
        if (!File.Exists(_trigger))
        {
            return;
        }
        // When the test first saw the failure: no write invoked after it may be acknowledged before the restart.
        long? failedBy = File.Exists(_trigger + ".hit") ? HistoryLog.Now() : null;
        File.Delete(_trigger);
        await Task.Delay(500);
        if (failedBy is null)
        {
            _violations.Add("no fsync failed while the fault was armed: the fault did not happen");
        }
        else
        {
            if (!target.Log.Contains("every write is refused until restart", StringComparison.Ordinal))
            {
                _violations.Add("the gateway's log does not say that it refuses writes after the fsync failure");
            }
            _refusing.Add((failedBy.Value, HistoryLog.Now()));
        }
        File.Delete(_trigger + ".hit");
        await target.RestartAsync(kill: true);
    }

    public IReadOnlyList<string> Violations(IReadOnlyList<Operation> history) =>
        [.. _violations, .. history
            .Where(o => o.Kind != OpKind.Read && o.Outcome == Outcome.Ok && _refusing.Any(r => o.Invoked >= r.From && o.Completed <= r.To))
            .Select(o => $"acknowledged after the fsync failure, before the restart: {o}")];

    public Task CleanUpAsync(ProcessZkTarget target)
    {
        File.Delete(_trigger);
        File.Delete(_trigger + ".hit");
        return Task.CompletedTask;
    }
}
