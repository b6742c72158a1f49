using ZkGateway.Compat.Infrastructure;
using ZkGateway.Nemesis.History;

namespace ZkGateway.Nemesis.Faults;

/// <summary>
/// Several nemeses at once on one target (issue 17: "each a nemesis the suite can combine"): each fault
/// injects every part in the order given and heals them in the reverse order, so the first part's fault
/// spans the others (a disk that is full while the server is killed and started again; a clock stepped
/// while the process is stopped). It holds for the longest part's hold, and carries every part's checks
/// and notes.
/// </summary>
public sealed class CombinedNemesis(params INemesis[] parts) : INemesis
{
    public string Name => string.Join(" + ", parts.Select(p => p.Name));

    public int ShortModeFaults => parts.Max(p => p.ShortModeFaults);

    public bool RecoveryFromHealed => parts.Any(p => p.RecoveryFromHealed);

    public bool NextFaultAfterRecovery => parts.Any(p => p.NextFaultAfterRecovery);

    public IReadOnlyList<string> Notes => [.. parts.SelectMany(p => p.Notes)];

    public TimeSpan Hold(Random random) => parts.Select(p => p.Hold(random)).Max();

    public async Task PrepareAsync(ProcessZkTarget target)
    {
        foreach (var part in parts)
        {
            await part.PrepareAsync(target);
        }
    }

    public async Task InjectAsync(ProcessZkTarget target)
    {
        foreach (var part in parts)
        {
            await part.InjectAsync(target);
        }
    }

    public async Task HealAsync(ProcessZkTarget target)
    {
        foreach (var part in parts.Reverse())
        {
            await part.HealAsync(target);
        }
    }

    public async Task CleanUpAsync(ProcessZkTarget target)
    {
        foreach (var part in parts.Reverse())
        {
            await part.CleanUpAsync(target);
        }
    }

    public IReadOnlyList<string> Violations(IReadOnlyList<Operation> history) => [.. parts.SelectMany(p => p.Violations(history))];
}
