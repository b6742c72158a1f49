using System.Diagnostics;
using ZkGateway.Compat.Infrastructure;

namespace ZkGateway.Nemesis.Faults;

/// <summary>
/// SIGKILL of the function instance that serves, while a second one is warm beside it, as Lambda keeps
/// a function's instances warm between invocations and hands the next batch to any of them. Unlike
/// <see cref="FunctionHostKillNemesis"/>, whose heal starts a process, nothing starts after the kill:
/// the write gap is the kill's own cost (the receive lease the dead instance held, then the warm
/// instance's batch), which issue 17 bounds by 2 s. Each fault first starts the warm instance (the
/// serving one keeps writing meanwhile), then kills the one that served. The target is the gateway
/// that owns the function host.
/// </summary>
public sealed class WarmInstanceKillNemesis : INemesis
{
    private readonly List<string> _notes = [];

    public string Name => "function-instance kill, warm instance";

    public int ShortModeFaults => 2;

    public bool NextFaultAfterRecovery => true;

    public TimeSpan Hold(Random random) => TimeSpan.FromMilliseconds(100 + random.Next(400));

    public async Task InjectAsync(ProcessZkTarget target)
    {
        var host = FunctionHostKillNemesis.Host(target);
        var serving = host.DetachFunctions() ?? throw new InvalidOperationException("no function host runs");
        long starting = Stopwatch.GetTimestamp();
        await host.StartFunctionsAsync();
        _notes.Add($"warm instance started in {Stopwatch.GetElapsedTime(starting).TotalSeconds:0.0} s, then the serving one killed");
        serving.Kill(entireProcessTree: true);
        await serving.WaitForExitAsync();
        serving.Dispose();
    }

    /// <summary>Nothing to start: the warm instance already serves.</summary>
    public Task HealAsync(ProcessZkTarget target) => Task.CompletedTask;

    public IReadOnlyList<string> Notes => _notes;
}
