using ZkGateway.Compat.Infrastructure;

namespace ZkGateway.Nemesis.Faults;

/// <summary>SIGKILL, then a restart on the same data directory after a moment down.</summary>
/// <param name="downFor">At least this long down (e.g. past its sessions' timeout); a moment when null.</param>
/// <param name="name">The report's name for it (which process of several is killed).</param>
public sealed class KillNemesis(TimeSpan? downFor = null, int shortModeFaults = 3, string name = "kill") : INemesis
{
    public string Name => name;

    public int ShortModeFaults => shortModeFaults;

    public TimeSpan Hold(Random random) => (downFor ?? TimeSpan.Zero) + TimeSpan.FromMilliseconds(100 + random.Next(400));

    public Task InjectAsync(ProcessZkTarget target) => target.KillAsync();

    public Task HealAsync(ProcessZkTarget target) => target.StartAsync();
}
