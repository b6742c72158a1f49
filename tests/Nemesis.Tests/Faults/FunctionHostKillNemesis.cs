using System.Diagnostics;
using ZkGateway.Compat.Infrastructure;

namespace ZkGateway.Nemesis.Faults;

/// <summary>
/// SIGKILL of the function host (a function instance that dies mid-batch), then a new one: its
/// batch must come back within the receive lease, not the queue's visibility timeout (issue 17).
/// The target is the gateway that owns the function host.
/// </summary>
public sealed class FunctionHostKillNemesis : INemesis
{
    private readonly List<string> _notes = [];
    private bool _killed;
    private long _killedAt;

    public string Name => "function-host kill";

    public int ShortModeFaults => 2;

    public bool RecoveryFromHealed => true;

    public bool NextFaultAfterRecovery => true;

    public TimeSpan Hold(Random random) => TimeSpan.FromMilliseconds(100 + random.Next(400));

    public async Task InjectAsync(ProcessZkTarget target)
    {
        _killedAt = Stopwatch.GetTimestamp();
        await Host(target).KillFunctionsAsync();
        _killed = true;
    }

    public async Task HealAsync(ProcessZkTarget target)
    {
        if (_killed)
        {
            await Host(target).StartFunctionsAsync();
            _killed = false;
            _notes.Add($"new host ready {Stopwatch.GetElapsedTime(_killedAt).TotalSeconds:0.0} s after the kill");
        }
    }

    public IReadOnlyList<string> Notes => _notes;

    internal static AwsGatewayServer Host(ProcessZkTarget target) =>
        target as AwsGatewayServer ?? throw new ArgumentException("the function-host nemeses need the gateway that runs the function host", nameof(target));
}
