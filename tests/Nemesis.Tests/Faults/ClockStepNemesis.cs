using ZkGateway.Compat.Infrastructure;
using ZkGateway.Jute.Proto;
using ZkGateway.Jute.Protocol;
using ZkGateway.Nemesis.History;
using ZkGateway.Nemesis.Workload;
using ZkGateway.Testing;

namespace ZkGateway.Nemesis.Faults;

/// <summary>
/// Steps the server's wall clock (libfaketime from Debian, LD_PRELOADed, reading its offset from a
/// file): forward past the session timeout, then back, as an NTP step or a suspended VM does. The
/// monotonic clock is left alone, so a server that times sessions by it (ZooKeeper does) must not
/// notice: while the clients keep pinging, no session may expire.
/// </summary>
public sealed class ClockStepNemesis : INemesis
{
    public const string Library = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1";

    private readonly string _offsetFile = Path.Combine(Path.GetTempPath(), $"nemesis-clock-{Environment.ProcessId}-{Guid.NewGuid():N}");
    private long _stepped;
    private int _missed;

    public string Name => "clock step";

    public int ShortModeFaults => 2;

    /// <summary>How far forward: several session timeouts.</summary>
    public static TimeSpan Step => TimeSpan.FromSeconds(30);

    public TimeSpan Hold(Random random) => TimeSpan.FromMilliseconds(1000 + random.Next(1000));

    public Task PrepareAsync(ProcessZkTarget target)
    {
        if (!File.Exists(Library))
        {
            throw new InvalidOperationException($"{Library} is missing: run scripts/install-test-deps.sh (Debian package libfaketime)");
        }
        File.WriteAllText(_offsetFile, "+0");
        target.ExtraEnvironment["LD_PRELOAD"] = Library;
        target.ExtraEnvironment["FAKETIME_TIMESTAMP_FILE"] = _offsetFile;
        target.ExtraEnvironment["FAKETIME_DONT_FAKE_MONOTONIC"] = "1";
        // The file is read again at most once a second: the step lands within a second.
        target.ExtraEnvironment["FAKETIME_CACHE_DURATION"] = "1";
        return Task.CompletedTask;
    }

    public async Task InjectAsync(ProcessZkTarget target)
    {
        File.WriteAllText(_offsetFile, $"+{Step.TotalSeconds:0}s");
        _stepped = HistoryLog.Now();
        // The step has landed once the server stamps a write with a time ahead of ours.
        await using var client = await RawZkClient.ConnectAsync(target.Port, Worker.SessionTimeoutMs);
        var waiting = System.Diagnostics.Stopwatch.StartNew();
        while (waiting.Elapsed < TimeSpan.FromSeconds(5))
        {
            var reply = await client.SetDataAsync("/nemesis", []);
            if (reply.Error == ErrorCode.Ok && reply.Decode<SetDataResponse>().Stat.Mtime - DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() > Step.TotalMilliseconds / 2)
            {
                return;
            }
            await Task.Delay(100);
        }
        _missed++;
    }

    public IReadOnlyList<string> Violations(IReadOnlyList<Operation> history) =>
        _missed == 0 ? [] : [$"{_missed} clock steps never reached the server: the fault did not bite"];

    public Task HealAsync(ProcessZkTarget target)
    {
        if (_stepped != 0)
        {
            File.WriteAllText(_offsetFile, "+0");
            _stepped = 0;
        }
        return Task.CompletedTask;
    }

    public Task CleanUpAsync(ProcessZkTarget target)
    {
        File.Delete(_offsetFile);
        return Task.CompletedTask;
    }
}
