using ZkGateway.Compat.Infrastructure;
using ZkGateway.Nemesis.History;

namespace ZkGateway.Nemesis.Faults;

/// <summary>
/// The data directory on a small tmpfs; a fault fills it to the last byte with a file of its own,
/// the heal deletes that file. Clients must get errors (never an acknowledgement of a write that is
/// not on disk), and once the space is back writes must succeed again. A server that exits on a full
/// disk (ZooKeeper does) is started again at the heal, as its supervisor would, and that is noted.
/// </summary>
public sealed class DiskFullNemesis : INemesis
{
    private const string Filler = "nemesis-filler";
    private readonly List<string> _notes = [];
    private long _lastHeal;
    private bool _mounted;
    private int _fullAtInject;
    private readonly List<(long From, long To)> _faults = [];
    private long _injected;
    // The server was down at a heal: it could not run on the full disk (exited, or, killed with it, could not start).
    private bool _stoppedByFullDisk;

    public string Name => "disk full";

    public int ShortModeFaults => 2;

    public IReadOnlyList<string> Notes => _notes;

    public TimeSpan Hold(Random random) => TimeSpan.FromMilliseconds(800 + random.Next(700));

    public Task PrepareAsync(ProcessZkTarget target)
    {
        Mounts.Tmpfs(target.DataDir, "16m");
        _mounted = true;
        return Task.CompletedTask;
    }

    /// <summary>How often the server said a critical thread died (ZooKeeper's SyncThread on ENOSPC; it exits after).</summary>
    private static int CountFull(ProcessZkTarget target) => target.Log.Split("Severe unrecoverable error").Length - 1;

    public async Task InjectAsync(ProcessZkTarget target)
    {
        _fullAtInject = CountFull(target);
        _injected = HistoryLog.Now();
        var chunk = new byte[64 * 1024];
        Array.Fill(chunk, (byte)0x5a);
        await using var file = new FileStream(Path.Combine(target.DataDir, Filler), FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0);
        try
        {
            while (true)
            {
                file.Write(chunk);
            }
        }
        catch (IOException)
        {
            // Full: now the last pages, in smaller pieces.
        }
        var small = new byte[512];
        try
        {
            while (true)
            {
                file.Write(small);
            }
        }
        catch (IOException)
        {
            // Not a byte left.
        }
    }

    public async Task HealAsync(ProcessZkTarget target)
    {
        string filler = Path.Combine(target.DataDir, Filler);
        if (!File.Exists(filler))
        {
            return;
        }
        File.Delete(filler);
        _lastHeal = HistoryLog.Now();
        _faults.Add((_injected, _lastHeal));
        // A server that hit the full disk may still be on its way out (ZooKeeper shuts down, then
        // exits): give it the time to, rather than count it as running.
        var exiting = System.Diagnostics.Stopwatch.StartNew();
        while (target.IsRunning && CountFull(target) > _fullAtInject && exiting.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(100);
        }
        if (!target.IsRunning)
        {
            _stoppedByFullDisk = true;
            _notes.Add($"{target.Kind} exited on the full disk and was started again once the space was back");
            await target.StartAsync();
        }
    }

    public IReadOnlyList<string> Violations(IReadOnlyList<Operation> history)
    {
        var violations = new List<string>();
        if (!history.Any(o => o.Kind != OpKind.Read && o.Outcome == Outcome.Ok && o.Invoked > _lastHeal))
        {
            violations.Add("no write was acknowledged after the space came back");
        }
        // Not a violation of the server's, but a run that tested nothing: no write went unanswered while
        // the disk was full, and the server never had to stop on it. (Combined with a kill that follows
        // the fill at once, no write may be in flight then; the restart failing on the full disk bites.)
        if (!_stoppedByFullDisk && !history.Any(o => o.Outcome == Outcome.Unknown && _faults.Any(f => o.Invoked >= f.From && o.Invoked <= f.To)))
        {
            violations.Add("the full disk failed no write: the fault did not bite");
        }
        return violations;
    }

    public Task CleanUpAsync(ProcessZkTarget target)
    {
        if (_mounted)
        {
            _mounted = false;
            Mounts.Unmount(target.DataDir);
        }
        return Task.CompletedTask;
    }
}
