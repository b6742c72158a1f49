using System.Diagnostics;

namespace ZkGateway.Gateway.Hosting;

/// <summary>
/// How long each phase of the start took, from the process's start as the kernel recorded it, so the
/// runtime's own start before Main counts too: recovery after kill -9 is measured by the first
/// answered read, not by the store's open alone (issue 14, docs/performance.md).
/// </summary>
internal sealed class StartupTimeline
{
    private readonly long _origin = Stopwatch.GetTimestamp();
    private readonly DateTime _createdUtc = DateTime.UtcNow;
    private long _last;

    public StartupTimeline() => _last = _origin;

    /// <summary>
    /// The process's start to this object's creation (the runtime's start and Main's first steps); -1
    /// where unknown. Read it once listening: the look-up costs a few milliseconds of its own.
    /// </summary>
    public double BeforeMainMs()
    {
        try
        {
            // Process.StartTime comes from /proc in clock ticks (10 ms steps): good enough for a phase of the start.
            return (_createdUtc - Process.GetCurrentProcess().StartTime.ToUniversalTime()).TotalMilliseconds;
        }
        catch (Exception e) when (e is InvalidOperationException or NotSupportedException or System.ComponentModel.Win32Exception)
        {
            return -1;
        }
    }

    /// <summary>The time since the last mark (or the creation), and starts the next phase.</summary>
    public double Mark()
    {
        long now = Stopwatch.GetTimestamp();
        double ms = Stopwatch.GetElapsedTime(_last, now).TotalMilliseconds;
        _last = now;
        return ms;
    }

    /// <summary>How long the backend's start took (its recovery of the data directory), within the host's build.</summary>
    public double BackendMs { get; set; }

    /// <summary>The time since the creation.</summary>
    public double SinceCreationMs => Stopwatch.GetElapsedTime(_origin).TotalMilliseconds;
}
