using ZkGateway.Compat.Infrastructure;

namespace ZkGateway.Nemesis.Faults;

/// <summary>SIGKILL, then a restart on the same data directory after a moment down.</summary>
public sealed class KillNemesis : INemesis
{
    public string Name => "kill";

    public int ShortModeFaults => 3;

    public TimeSpan Hold(Random random) => TimeSpan.FromMilliseconds(100 + random.Next(400));

    public Task InjectAsync(ProcessZkTarget target) => target.KillAsync();

    public Task HealAsync(ProcessZkTarget target) => target.StartAsync();
}
