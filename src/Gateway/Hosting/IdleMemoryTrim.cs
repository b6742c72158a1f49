using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ZkGateway.Gateway.Hosting;

/// <summary>What <see cref="IdleMemoryTrimPolicy.Sample"/> asks the caller to do.</summary>
public enum TrimStep
{
    /// <summary>Nothing now.</summary>
    Wait,

    /// <summary>
    /// The GC's figures predate the quiet (no collection since the burst ended), so they understate the
    /// slack: run a background collection to refresh them, and sample again as usual.
    /// </summary>
    Refresh,

    /// <summary>Run the aggressive collection, then report it with <see cref="IdleMemoryTrimPolicy.Trimmed"/>.</summary>
    Trim,
}

/// <summary>
/// When to hand memory back to the OS after a burst. The GC keeps the regions a burst made it commit,
/// and the free space inside them: after 1M creates it held 763 MiB committed for 573 MiB of objects,
/// and RSS stays there while the server idles, since an idle process runs no GC. Only an aggressive
/// (compacting, decommitting) GC returns it; an ordinary full GC does not (docs/performance.md, "RSS
/// at 1M"). That GC blocks the process (0.3–0.9 s at 1M znodes on our machines), so it runs only
/// when the server has been quiet for <see cref="IdleMs"/>, a burst's worth has been allocated since
/// the last one, the slack is worth returning (<see cref="SlackBytes"/> and
/// <see cref="SlackShareOfInUse"/> of what is in use), and not more than once per
/// <see cref="MinIntervalMs"/>.
/// The slack is read from the last collection's figures, which may come from the middle of the burst:
/// where no collection has run since the quiet began, the policy first asks for a background one
/// (<see cref="TrimStep.Refresh"/>, once per quiet spell) instead of deciding on old numbers.
/// Pure decisions on samples, so tests drive it with their own numbers.
/// </summary>
public sealed class IdleMemoryTrimPolicy(int idleMs)
{
    /// <summary>Allocation below this rate counts as quiet (pings and timers of idle sessions).</summary>
    public const long QuietBytesPerSecond = 1L << 20;

    /// <summary>
    /// Allocated since the last trim before another is considered: a burst, not background noise. As
    /// much as the slack a trim needs (it was 32 MiB: once an idle session held 3 KB, the connects of
    /// 10,000 went untrimmed in 2 of 3 runs at 1M znodes, docs/performance.md "Set D").
    /// </summary>
    public const long BurstBytes = 16L << 20;

    /// <summary>The least slack (committed beyond what objects use) that makes a trim worth its pause.</summary>
    public const long SlackBytes = 16L << 20;

    /// <summary>
    /// On a large heap the slack must also be this share of what is in use: the pause grows with the
    /// live heap (284-400 ms for 523-563 MiB here), so a trim hands back at least 1/32 of it. A quarter
    /// (before 2026-12-07) left 10,000 idle sessions' connect burst (33 MiB at 1M znodes) unreturned.
    /// </summary>
    public const int SlackShareOfInUse = 32;

    public const long MinIntervalMs = 30_000;

    public int IdleMs { get; } = idleMs;

    private long _lastSampleMs = -1;
    private long _lastAllocated;
    private long _lastCollections;
    private long _quietSinceMs = -1;
    // The collection count when the quiet began, and whether this quiet has had its refresh.
    private long _collectionsAtQuiet;
    private bool _refreshed;
    private long _allocatedAtLastTrim;
    private long _lastTrimMs = long.MinValue / 2;

    /// <summary>
    /// Takes a sample: the time, the process's total allocated bytes, what the GC has committed and what
    /// its objects use of it (heap size less fragmentation), both as of the last collection, and how
    /// many collections have run. The caller does what the step says.
    /// </summary>
    public TrimStep Sample(long nowMs, long totalAllocated, long committed, long inUse, long collections)
    {
        if (_lastSampleMs >= 0)
        {
            long elapsed = Math.Max(1, nowMs - _lastSampleMs);
            bool quiet = (totalAllocated - _lastAllocated) * 1000 / elapsed < QuietBytesPerSecond;
            if (!quiet)
            {
                _quietSinceMs = -1;
            }
            else if (_quietSinceMs < 0)
            {
                _quietSinceMs = _lastSampleMs;
                _collectionsAtQuiet = _lastCollections;
                _refreshed = false;
            }
        }
        _lastSampleMs = nowMs;
        _lastAllocated = totalAllocated;
        _lastCollections = collections;
        if (_quietSinceMs < 0 || nowMs - _quietSinceMs < IdleMs
            || totalAllocated - _allocatedAtLastTrim < BurstBytes || nowMs - _lastTrimMs < MinIntervalMs)
        {
            return TrimStep.Wait;
        }
        if (WorthTrimming(committed, inUse))
        {
            return TrimStep.Trim;
        }
        if (!_refreshed && collections == _collectionsAtQuiet)
        {
            _refreshed = true;
            return TrimStep.Refresh;
        }
        return TrimStep.Wait;
    }

    private static bool WorthTrimming(long committed, long inUse) => committed - inUse >= Math.Max(SlackBytes, inUse / SlackShareOfInUse);

    /// <summary>Records a trim that ran at <paramref name="nowMs"/> with the allocation count it saw.</summary>
    public void Trimmed(long nowMs, long totalAllocated)
    {
        _lastTrimMs = nowMs;
        _allocatedAtLastTrim = totalAllocated;
    }
}

/// <summary>Samples the GC every half second and runs <see cref="IdleMemoryTrimPolicy"/>'s trims (<c>memoryTrimIdleMs</c>; 0: off).</summary>
public sealed partial class IdleMemoryTrimmer(GatewayOptions options, ILogger<IdleMemoryTrimmer> log) : BackgroundService
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(500);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.MemoryTrimIdleMs <= 0)
        {
            return;
        }
        var policy = new IdleMemoryTrimPolicy(options.MemoryTrimIdleMs);
        using var timer = new PeriodicTimer(Tick);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                var info = GC.GetGCMemoryInfo();
                var step = policy.Sample(Environment.TickCount64, GC.GetTotalAllocatedBytes(), info.TotalCommittedBytes,
                    info.HeapSizeBytes - info.FragmentedBytes, GC.CollectionCount(0));
                if (step == TrimStep.Refresh)
                {
                    // A background full collection: it pauses the process only briefly, and counts the
                    // burst's dead objects (the dictionaries' old arrays among them) as free space.
                    // The next samples decide on its figures.
                    GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: false);
                    continue;
                }
                if (step != TrimStep.Trim)
                {
                    continue;
                }
                long start = Environment.TickCount64;
                GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
                var after = GC.GetGCMemoryInfo();
                policy.Trimmed(Environment.TickCount64, GC.GetTotalAllocatedBytes());
                Trimmed(log, info.TotalCommittedBytes >> 20, after.TotalCommittedBytes >> 20, after.HeapSizeBytes >> 20, Environment.TickCount64 - start);
            }
        }
        catch (OperationCanceledException)
        {
            // Shutting down.
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information,
        Message = "Idle after a burst: returned memory to the OS (GC committed {Before} MiB -> {After} MiB, heap {Heap} MiB; the collection took {Ms} ms)")]
    private static partial void Trimmed(ILogger log, long before, long after, long heap, long ms);
}
