using ZkGateway.Compat.Infrastructure;

namespace ZkGateway.Nemesis.Faults;

/// <summary>SIGKILL, then a restart on the same data directory after a moment down.</summary>
/// <param name="downFor">At least this long down (e.g. past its sessions' timeout); a moment when null.</param>
/// <param name="name">The report's name for it (which process of several is killed).</param>
/// <param name="restartMayFail">
/// A server that cannot start (on a full disk, under <see cref="DiskFullNemesis"/>) is noted and left down for
/// the nemesis that caused it to start again at its own heal, as a supervisor would keep restarting it.
/// </param>
public sealed class KillNemesis(TimeSpan? downFor = null, int shortModeFaults = 3, string name = "kill", bool restartMayFail = false) : INemesis
{
    private readonly List<string> _notes = [];

    public string Name => name;

    public int ShortModeFaults => shortModeFaults;

    public IReadOnlyList<string> Notes => _notes;

    public TimeSpan Hold(Random random) => (downFor ?? TimeSpan.Zero) + TimeSpan.FromMilliseconds(100 + random.Next(400));

    public Task InjectAsync(ProcessZkTarget target) => target.KillAsync();

    public async Task HealAsync(ProcessZkTarget target)
    {
        try
        {
            await target.StartAsync();
        }
        catch (InvalidOperationException e) when (restartMayFail)
        {
            string reason = e.Message.Split('\n').LastOrDefault(l => l.Contains("space", StringComparison.OrdinalIgnoreCase)) ?? e.Message.Split('\n')[0];
            _notes.Add($"{target.Kind} did not start after the kill: {reason.Trim()}");
        }
    }
}
