namespace ZkGateway.Testing.Contracts;

/// <summary>
/// A clock the test moves by hand (lock lapses without sleeping): the wall clock and the monotonic
/// one (<see cref="TimeProvider.GetTimestamp"/>, which session deadlines use) move together. Timers
/// and delays still run on real time.
/// </summary>
public sealed class ManualTime(DateTimeOffset start) : TimeProvider
{
    private long _ticks = start.UtcTicks;

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => Interlocked.Read(ref _ticks);

    public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
}
