using ZkGateway.Compat.Infrastructure;
using ZkGateway.Nemesis.Workload;

namespace ZkGateway.Nemesis.Faults;

/// <summary>
/// SIGSTOP, held past the sessions' timeout, then SIGCONT: a GC pause or a frozen container. The
/// server wakes up to sessions whose deadline passed while it slept and clients that gave up on it.
/// </summary>
public sealed class PauseNemesis(string name = "pause") : INemesis
{
    private int? _paused;

    public string Name => name;

    public int ShortModeFaults => 1;

    public TimeSpan Hold(Random random) => TimeSpan.FromMilliseconds(Worker.SessionTimeoutMs + 1000 + random.Next(1000));

    public Task InjectAsync(ProcessZkTarget target)
    {
        _paused = target.ProcessId ?? throw new InvalidOperationException($"{target.Kind} is not running");
        Net.Signal(_paused.Value, Signals.Stop);
        return Task.CompletedTask;
    }

    public Task HealAsync(ProcessZkTarget target)
    {
        if (_paused is { } pid)
        {
            Net.Signal(pid, Signals.Cont);
            _paused = null;
        }
        return Task.CompletedTask;
    }

    public Task CleanUpAsync(ProcessZkTarget target) => HealAsync(target);
}
