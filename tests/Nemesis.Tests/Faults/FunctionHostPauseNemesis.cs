using System.Diagnostics;
using ZkGateway.Compat.Infrastructure;

namespace ZkGateway.Nemesis.Faults;

/// <summary>
/// SIGSTOP of the function host (a frozen Lambda instance) and a second host started beside it, as
/// Lambda starts another instance; past the receive lease and the queue's visibility timeout the
/// frozen one gets SIGCONT, runs on with its stale batch for a while (which must change nothing),
/// and is retired (SIGKILL). The target is the gateway that owns the function host.
/// </summary>
public sealed class FunctionHostPauseNemesis : INemesis
{
    /// <summary>ZKGW_AWS_QUEUE_VISIBILITY_SECONDS in the tests' deployments (AwsGatewayServer), plus a second.</summary>
    private static readonly TimeSpan PastVisibilityTimeout = TimeSpan.FromSeconds(11);

    /// <summary>How long the woken instance runs beside the new one before it is retired.</summary>
    private static readonly TimeSpan StaleRun = TimeSpan.FromSeconds(2);

    private readonly List<string> _notes = [];
    private Process? _paused;
    private long _pausedAt;

    public string Name => "function-host pause";

    public int ShortModeFaults => 1;

    public bool NextFaultAfterRecovery => true;

    public TimeSpan Hold(Random random) => TimeSpan.FromMilliseconds(random.Next(1000));

    public async Task InjectAsync(ProcessZkTarget target)
    {
        var host = FunctionHostKillNemesis.Host(target);
        _paused = host.DetachFunctions() ?? throw new InvalidOperationException("no function host runs");
        _pausedAt = Stopwatch.GetTimestamp();
        Net.Signal(_paused.Id, Signals.Stop);
        await host.StartFunctionsAsync();
        _notes.Add($"second host ready {Stopwatch.GetElapsedTime(_pausedAt).TotalSeconds:0.0} s after the stop");
    }

    public async Task HealAsync(ProcessZkTarget target)
    {
        if (_paused is not { } paused)
        {
            return;
        }
        var left = PastVisibilityTimeout - Stopwatch.GetElapsedTime(_pausedAt);
        if (left > TimeSpan.Zero)
        {
            await Task.Delay(left);
        }
        Net.Signal(paused.Id, Signals.Cont);
        await Task.Delay(StaleRun);
        await RetireAsync();
    }

    public Task CleanUpAsync(ProcessZkTarget target) => RetireAsync();

    public IReadOnlyList<string> Notes => _notes;

    private async Task RetireAsync()
    {
        if (_paused is { } paused)
        {
            _paused = null;
            Net.Signal(paused.Id, Signals.Cont);
            paused.Kill(entireProcessTree: true);
            await paused.WaitForExitAsync();
            paused.Dispose();
        }
    }
}
