using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ZkGateway.Gateway.Hosting;

/// <summary>
/// When to hand memory back to the OS after a burst. The GC keeps the regions a burst made it commit,
/// and the free space inside them: after 1M creates it held 763 MiB committed for 573 MiB of objects,
/// and RSS stays there while the server idles, since an idle process runs no GC. Only an aggressive
/// (compacting, decommitting) GC returns it; an ordinary full GC does not (docs/performance.md, "RSS
/// at 1M"). That GC blocks the process (about a second at 1M znodes), so it runs only when the server
/// has been quiet for <see cref="IdleMs"/>, a burst's worth has been allocated since the last one, the
/// slack is worth returning (<see cref="SlackBytes"/> and a quarter of what is in use), and not more
/// than once per <see cref="MinIntervalMs"/>.
/// Pure decisions on samples, so tests drive it with their own numbers.
/// </summary>
public sealed class IdleMemoryTrimPolicy(int idleMs)
{
    /// <summary>Allocation below this rate counts as quiet (pings and timers of idle sessions).</summary>
    public const long QuietBytesPerSecond = 1L << 20;

    /// <summary>Allocated since the last trim before another is considered: a burst, not background noise.</summary>
    public const long BurstBytes = 64L << 20;

    /// <summary>The least slack (committed beyond what objects use) that makes a trim worth its pause.</summary>
    public const long SlackBytes = 32L << 20;

    public const long MinIntervalMs = 30_000;

    public int IdleMs { get; } = idleMs;

    private long _lastSampleMs = -1;
    private long _lastAllocated;
    private long _quietSinceMs = -1;
    private long _allocatedAtLastTrim;
    private long _lastTrimMs = long.MinValue / 2;

    /// <summary>
    /// Takes a sample: the time, the process's total allocated bytes, what the GC has committed and what
    /// its objects use of it (heap size less fragmentation, at the last GC). True when a trim should run
    /// now; the caller then reports it with <see cref="Trimmed"/>.
    /// </summary>
    public bool Sample(long nowMs, long totalAllocated, long committed, long inUse)
    {
        if (_lastSampleMs >= 0)
        {
            long elapsed = Math.Max(1, nowMs - _lastSampleMs);
            bool quiet = (totalAllocated - _lastAllocated) * 1000 / elapsed < QuietBytesPerSecond;
            _quietSinceMs = quiet ? (_quietSinceMs < 0 ? _lastSampleMs : _quietSinceMs) : -1;
        }
        _lastSampleMs = nowMs;
        _lastAllocated = totalAllocated;
        return _quietSinceMs >= 0 && nowMs - _quietSinceMs >= IdleMs
            && totalAllocated - _allocatedAtLastTrim >= BurstBytes
            && committed - inUse >= Math.Max(SlackBytes, inUse / 4)
            && nowMs - _lastTrimMs >= MinIntervalMs;
    }

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
                long now = Environment.TickCount64;
                long allocated = GC.GetTotalAllocatedBytes();
                if (!policy.Sample(now, allocated, info.TotalCommittedBytes, info.HeapSizeBytes - info.FragmentedBytes))
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
