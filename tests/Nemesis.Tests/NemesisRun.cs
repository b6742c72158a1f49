using System.Diagnostics;
using System.Text;
using ZkGateway.Compat.Infrastructure;
using ZkGateway.Jute.Proto;
using ZkGateway.Jute.Protocol;
using ZkGateway.Nemesis.Checking;
using ZkGateway.Nemesis.Faults;
using ZkGateway.Nemesis.History;
using ZkGateway.Nemesis.Workload;
using ZkGateway.Testing;

namespace ZkGateway.Nemesis;

/// <summary>
/// One nemesis run against one server: three workers on three versioned znodes while the nemesis
/// injects and heals its fault; once the last fault is healed and every worker has been answered
/// again, the workers stop, a fresh client reads every key, and the history and the records are
/// checked. The server is the caller's (started here, not disposed).
/// </summary>
public static class NemesisRun
{
    private const int Workers = 3;
    private static readonly string[] Keys = ["/nemesis/k0", "/nemesis/k1", "/nemesis/k2"];
    private const string EphemeralParent = "/nemesis/e";
    private const string InitialValue = "init";

    /// <summary>How long the run waits after the last heal for every worker to be answered again.</summary>
    private static readonly TimeSpan ServedAgainCap = TimeSpan.FromSeconds(60);

    public static Task<RunReport> RunAsync(ProcessZkTarget target, INemesis nemesis, NemesisSettings settings) =>
        RunAsync([target], target, nemesis, settings);

    /// <summary>
    /// A run on several servers sharing one backend (two AWS gateways): workers spread over them (one stays on the faulted one),
    /// the nemesis faults <paramref name="faulted"/>, the tree is made and the final state read through the first.
    /// </summary>
    public static async Task<RunReport> RunAsync(IReadOnlyList<ProcessZkTarget> targets, ProcessZkTarget faulted, INemesis nemesis, NemesisSettings settings)
    {
        var random = new Random(settings.Seed);
        await nemesis.PrepareAsync(faulted);
        foreach (var target in targets)
        {
            await target.StartAsync();
        }
        int[] ports = [.. targets.Select(t => t.Port)];
        await CreateTreeAsync(ports[0]);

        var history = new HistoryLog();
        var records = new WorkloadRecords();
        using var stop = new CancellationTokenSource();
        var workers = Enumerable.Range(0, Workers)
            .Select(p => new Worker(p, WorkerPorts(p, ports, faulted.Port), Keys, EphemeralParent, history, new Random(settings.Seed * 31 + p), records))
            .Select(w => Task.Run(() => w.RunAsync(stop.Token)))
            .ToList();

        var started = Stopwatch.StartNew();
        // The first fault waits for every worker's first answer: a slow backend (the AWS emulators on a
        // loaded machine) would otherwise be faulted before anyone has a session.
        long begun = HistoryLog.Now();
        await EveryWorkerAnsweredAfterAsync(history, begun);
        var heals = new List<long>();
        var injections = new List<long>();
        int faults = 0;
        try
        {
            while (settings.Duration is { } d ? started.Elapsed < d : faults < nemesis.ShortModeFaults)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(400 + random.Next(600)));
                injections.Add(HistoryLog.Now());
                await nemesis.InjectAsync(faulted);
                faults++;
                await Task.Delay(nemesis.Hold(random));
                long healing = HistoryLog.Now();
                await nemesis.HealAsync(faulted);
                heals.Add(nemesis.RecoveryFromHealed ? HistoryLog.Now() : healing);
                if (nemesis.NextFaultAfterRecovery)
                {
                    await EveryWorkerAnsweredAfterAsync(history, heals[^1]);
                }
            }
            await EveryWorkerAnsweredAfterAsync(history, heals.LastOrDefault());
            // A little more work after everyone is back, so reads after the faults are in the history.
            await Task.Delay(300);
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(workers).WaitAsync(TimeSpan.FromSeconds(60));
            // A fault still in place (the run failed half-way) is healed; a healed one is left as it is.
            await nemesis.HealAsync(faulted);
        }
        await ReadFinalStateAsync(ports[0], history);
        var duration = started.Elapsed;

        var ops = history.Operations;
        var violations = new List<string>();
        var initial = Keys.ToDictionary(k => k, _ => new RegisterState(InitialValue, 0));
        foreach (var verdict in LinearizabilityChecker.Check(ops, initial))
        {
            if (verdict.Linearizable != true)
            {
                violations.Add($"{verdict.Key}: {(verdict.Linearizable is null ? "inconclusive" : "not linearizable")} ({verdict.Operations} ops, {verdict.Unknown} unknown): {verdict.Explanation}");
            }
        }
        var watches = WatchCheck.Check(records.Connections);
        violations.AddRange(watches.Violations);
        // An event ahead of the reply that set its watch is a lost watch, on either server (docs/reliability.md).
        violations.AddRange(watches.Overtaken);
        violations.AddRange(EphemeralCheck.Check(records.Ephemerals));
        violations.AddRange(nemesis.Violations(ops));
        var report = new RunReport(nemesis.Name, string.Join("+", targets.Select(t => t.Kind).Distinct()) + (targets.Count > 1 ? $" ×{targets.Count}" : ""), settings.Seed, duration, ops.Count(o => o.Process >= 0),
            ops.Count(o => o.Outcome == Outcome.Unknown), faults, records.Expiries, LostWrites(ops), MaxRecovery(ops, heals),
            violations, [.. nemesis.Notes, .. records.Notes], WatchEvents(records), records.Ephemerals.Count, WriteGaps(ops, injections, heals), FirstWritesAfter(ops, heals));
        if (settings.ReportFile is { } file)
        {
            await File.AppendAllTextAsync(file, report.TableRow + "\n");
        }
        return report;
    }

    /// <summary>
    /// Every worker may use every server but the last, whose connect string names only the faulted one:
    /// with several servers, one session cannot move away, so it expires when the fault outlasts it.
    /// </summary>
    private static int[] WorkerPorts(int process, int[] ports, int faultedPort) =>
        ports.Length > 1 && process == Workers - 1 ? [faultedPort] : ports;

    private static async Task EveryWorkerAnsweredAfterAsync(HistoryLog history, long instant)
    {
        var cap = Stopwatch.StartNew();
        while (Enumerable.Range(0, Workers).Any(p => history.LastAnswered(p) <= instant) && cap.Elapsed < ServedAgainCap)
        {
            await Task.Delay(50);
        }
    }

    private static int WatchEvents(WorkloadRecords records) =>
        records.Connections.Sum(c =>
        {
            lock (c.Frames)
            {
                return c.Frames.Count(f => f.Event is not null);
            }
        });

    private static async Task CreateTreeAsync(int port)
    {
        await using var client = await RawZkClient.ConnectAsync(port);
        foreach (string path in new[] { "/nemesis", EphemeralParent }.Concat(Keys))
        {
            var reply = await client.CreateAsync(path, path.StartsWith("/nemesis/k", StringComparison.Ordinal) ? Encoding.UTF8.GetBytes(InitialValue) : []);
            if (reply.Error != ErrorCode.Ok)
            {
                throw new InvalidOperationException($"create {path}: {reply.Error}");
            }
        }
    }

    /// <summary>Every key read once more by a fresh session after the run (retrying until the server answers).</summary>
    private static async Task ReadFinalStateAsync(int port, HistoryLog history)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await using var client = await RawZkClient.ConnectAsync(port, Worker.SessionTimeoutMs).WaitAsync(TimeSpan.FromSeconds(5));
                foreach (string key in Keys)
                {
                    long invoked = HistoryLog.Now();
                    Check(await client.SendAsync(OpCode.Sync, new SyncRequest(key)));
                    var reply = Check(await client.GetDataAsync(key));
                    var data = reply.Decode<GetDataResponse>();
                    history.Add(new Operation(history.NextId(), -1, key, OpKind.Read, Outcome.Ok, invoked, HistoryLog.Now(),
                        Encoding.UTF8.GetString(data.Data ?? []), -1, data.Stat.Version));
                }
                return;
            }
            catch (Exception e) when (e is IOException or TimeoutException or System.Net.Sockets.SocketException && deadline.Elapsed < ServedAgainCap)
            {
                await Task.Delay(200);
            }
        }

        static RawReply Check(RawReply reply) =>
            reply.Error == ErrorCode.Ok ? reply : throw new InvalidOperationException($"final read: {reply.Error}");
    }

    /// <summary>
    /// Acknowledged writes the final state does not count: each applied setData adds one to the version,
    /// so a key's final version is at least its acknowledged writes (and at most those plus the unknown ones).
    /// </summary>
    private static int LostWrites(IReadOnlyList<Operation> ops)
    {
        int lost = 0;
        foreach (var key in ops.GroupBy(o => o.Key))
        {
            var final = key.Where(o => o.Process < 0).MaxBy(o => o.Id);
            int acknowledged = key.Count(o => o.Kind != OpKind.Read && o.Outcome == Outcome.Ok);
            if (final is not null)
            {
                lost += Math.Max(0, acknowledged - final.Version);
            }
        }
        return lost;
    }

    /// <summary>
    /// Per fault, the longest time between two acknowledged writes (of any worker) from the last one
    /// before the fault to the first one after its heal: how long the fault stopped writes.
    /// </summary>
    private static IReadOnlyList<TimeSpan> WriteGaps(IReadOnlyList<Operation> ops, IReadOnlyList<long> injections, IReadOnlyList<long> heals)
    {
        long[] acknowledged = [.. ops.Where(o => o.Process >= 0 && o.Kind != OpKind.Read && o.Outcome == Outcome.Ok).Select(o => o.Completed!.Value).Order()];
        var gaps = new List<TimeSpan>();
        for (int i = 0; i < heals.Count; i++)
        {
            long before = acknowledged.LastOrDefault(t => t < injections[i], injections[i]);
            long after = acknowledged.FirstOrDefault(t => t > heals[i]);
            if (after == 0)
            {
                continue;
            }
            long longest = 0;
            long previous = before;
            foreach (long t in acknowledged.Where(t => t > before && t <= after))
            {
                longest = Math.Max(longest, t - previous);
                previous = t;
            }
            gaps.Add(Stopwatch.GetElapsedTime(0, longest));
        }
        return gaps;
    }

    /// <summary>Per heal, how long until the first acknowledged write after it (none: not listed).</summary>
    private static IReadOnlyList<TimeSpan> FirstWritesAfter(IReadOnlyList<Operation> ops, IReadOnlyList<long> heals) =>
        [.. heals.Select(h => ops.Where(o => o.Process >= 0 && o.Kind != OpKind.Read && o.Outcome == Outcome.Ok && o.Completed > h).Select(o => o.Completed!.Value).DefaultIfEmpty(0).Min())
            .Zip(heals).Where(p => p.First != 0).Select(p => Stopwatch.GetElapsedTime(p.Second, p.First))];

    /// <summary>The longest time, over faults, from the start of a heal until every worker had an answer again; null if one never did.</summary>
    private static TimeSpan? MaxRecovery(IReadOnlyList<Operation> ops, IReadOnlyList<long> heals)
    {
        var answered = ops.Where(o => o.Process >= 0 && o.Completed is not null).GroupBy(o => o.Process)
            .ToDictionary(g => g.Key, g => g.Select(o => o.Completed!.Value).Order().ToArray());
        TimeSpan max = TimeSpan.Zero;
        foreach (long heal in heals)
        {
            for (int p = 0; p < Workers; p++)
            {
                long? first = answered.TryGetValue(p, out var times) ? times.FirstOrDefault(t => t > heal) : null;
                if (first is null or 0)
                {
                    return null;
                }
                max = TimeSpan.FromTicks(Math.Max(max.Ticks, Stopwatch.GetElapsedTime(heal, first.Value).Ticks));
            }
        }
        return max;
    }
}
