using ZkGateway.Gateway.Hosting;

namespace ZkGateway.Gateway.Tests.Hosting;

/// <summary>When the gateway hands a burst's committed memory back: only once quiet, after a burst, with slack, and not too often.</summary>
public sealed class IdleMemoryTrimPolicyTests
{
    private const long MiB = 1L << 20;

    // Committed 300 MiB for 130 MiB of objects: slack well above the threshold.
    private const long Committed = 300 * MiB;
    private const long Heap = 130 * MiB;

    // The collection count: fixed in most tests, which are about the other conditions.
    private const long Gc = 7;

    [Fact]
    public void A_burst_followed_by_quiet_is_trimmed_once_the_quiet_has_lasted_the_idle_time()
    {
        var policy = new IdleMemoryTrimPolicy(idleMs: 1000);
        Assert.Equal(TrimStep.Wait, policy.Sample(0, 0, Committed, Heap, Gc));
        Assert.Equal(TrimStep.Wait, policy.Sample(500, 200 * MiB, Committed, Heap, Gc)); // the burst: 400 MiB/s
        Assert.Equal(TrimStep.Wait, policy.Sample(1000, 200 * MiB, Committed, Heap, Gc)); // quiet since 500
        Assert.Equal(TrimStep.Trim, policy.Sample(1500, 200 * MiB + 1000, Committed, Heap, Gc)); // quiet for 1000 ms
    }

    [Fact]
    public void Allocation_above_the_quiet_rate_restarts_the_idle_clock()
    {
        var policy = new IdleMemoryTrimPolicy(idleMs: 1000);
        policy.Sample(0, 0, Committed, Heap, Gc);
        policy.Sample(500, 200 * MiB, Committed, Heap, Gc);
        policy.Sample(1000, 200 * MiB, Committed, Heap, Gc);
        Assert.Equal(TrimStep.Wait, policy.Sample(1500, 202 * MiB, Committed, Heap, Gc)); // 4 MiB/s: busy again
        Assert.Equal(TrimStep.Wait, policy.Sample(2000, 202 * MiB, Committed, Heap, Gc));
        Assert.Equal(TrimStep.Trim, policy.Sample(2500, 202 * MiB, Committed, Heap, Gc));
    }

    [Fact]
    public void Without_a_burst_or_without_slack_nothing_is_trimmed()
    {
        var small = new IdleMemoryTrimPolicy(idleMs: 1000);
        small.Sample(0, 0, Committed, Heap, Gc);
        small.Sample(500, 10 * MiB, Committed, Heap, Gc); // 10 MiB allocated: no burst
        Assert.Equal(TrimStep.Wait, small.Sample(5000, 10 * MiB, Committed, Heap, Gc));

        // 24 MiB is a burst: what 10,000 idle sessions' connects allocate once a connection holds little
        // (3 KB live each; the 32 MiB of before kept their slack in 2 of 3 runs at 1M znodes).
        var sessions = new IdleMemoryTrimPolicy(idleMs: 1000);
        sessions.Sample(0, 0, Committed, Heap, Gc);
        sessions.Sample(500, 24 * MiB, Committed, Heap, Gc);
        Assert.Equal(TrimStep.Trim, sessions.Sample(5000, 24 * MiB, Committed, Heap, Gc));

        var tight = new IdleMemoryTrimPolicy(idleMs: 1000);
        tight.Sample(0, 0, Committed, Heap, Gc);
        tight.Sample(500, 200 * MiB, Heap + 10 * MiB, Heap, Gc);
        // 10 MiB of slack, in figures from a collection during the quiet: not worth the pause.
        Assert.Equal(TrimStep.Wait, tight.Sample(5000, 200 * MiB, Heap + 10 * MiB, Heap, Gc + 1));

        // A large heap needs slack of 1/32 of what it uses: 20 MiB on 800 MiB (above the 16 MiB floor) is
        // not enough, 30 MiB is.
        var large = new IdleMemoryTrimPolicy(idleMs: 1000);
        large.Sample(0, 0, 820 * MiB, 800 * MiB, Gc);
        large.Sample(500, 900 * MiB, 820 * MiB, 800 * MiB, Gc);
        Assert.Equal(TrimStep.Wait, large.Sample(5000, 900 * MiB, 820 * MiB, 800 * MiB, Gc + 1));
        Assert.Equal(TrimStep.Trim, large.Sample(5500, 900 * MiB, 830 * MiB, 800 * MiB, Gc + 1));
    }

    [Fact]
    public void Trims_are_at_least_the_minimum_interval_apart_and_each_needs_a_new_burst()
    {
        var policy = new IdleMemoryTrimPolicy(idleMs: 1000);
        policy.Sample(0, 0, Committed, Heap, Gc);
        policy.Sample(500, 200 * MiB, Committed, Heap, Gc);
        Assert.Equal(TrimStep.Trim, policy.Sample(1500, 200 * MiB, Committed, Heap, Gc));
        policy.Trimmed(1500, 200 * MiB);
        Assert.Equal(TrimStep.Wait, policy.Sample(5000, 200 * MiB, Committed, Heap, Gc)); // no burst since

        policy.Sample(5500, 400 * MiB, Committed, Heap, Gc); // a second burst, soon after
        Assert.Equal(TrimStep.Wait, policy.Sample(7000, 400 * MiB, Committed, Heap, Gc)); // quiet, but within 30 s of the last trim
        long later = 1500 + IdleMemoryTrimPolicy.MinIntervalMs;
        Assert.Equal(TrimStep.Trim, policy.Sample(later, 400 * MiB, Committed, Heap, Gc));
    }

    [Fact]
    public void Figures_from_before_the_quiet_are_refreshed_once_and_the_fresh_ones_decide()
    {
        var policy = new IdleMemoryTrimPolicy(idleMs: 1000);
        policy.Sample(0, 0, Heap + 10 * MiB, Heap, 3);
        policy.Sample(500, 200 * MiB, Heap + 10 * MiB, Heap, 3); // the burst; its last collection showed little slack
        policy.Sample(1000, 200 * MiB, Heap + 10 * MiB, Heap, 3); // quiet since 500, no collection since
        Assert.Equal(TrimStep.Refresh, policy.Sample(1500, 200 * MiB, Heap + 10 * MiB, Heap, 3));
        // The refresh ran (the count moved) and its figures show the burst's slack.
        Assert.Equal(TrimStep.Trim, policy.Sample(2000, 200 * MiB, Committed, Heap, 4));
    }

    [Fact]
    public void A_refresh_that_shows_no_slack_is_not_repeated_in_the_same_quiet()
    {
        var policy = new IdleMemoryTrimPolicy(idleMs: 1000);
        policy.Sample(0, 0, Heap + 10 * MiB, Heap, 3);
        policy.Sample(500, 200 * MiB, Heap + 10 * MiB, Heap, 3);
        Assert.Equal(TrimStep.Refresh, policy.Sample(1500, 200 * MiB, Heap + 10 * MiB, Heap, 3));
        Assert.Equal(TrimStep.Wait, policy.Sample(2000, 200 * MiB, Heap + 10 * MiB, Heap, 4));
        Assert.Equal(TrimStep.Wait, policy.Sample(9000, 200 * MiB, Heap + 10 * MiB, Heap, 4));

        // Busy again, then quiet again: a new spell may refresh once more.
        policy.Sample(9500, 300 * MiB, Heap + 10 * MiB, Heap, 4);
        policy.Sample(10000, 300 * MiB, Heap + 10 * MiB, Heap, 4);
        Assert.Equal(TrimStep.Refresh, policy.Sample(11000, 300 * MiB, Heap + 10 * MiB, Heap, 4));
    }

    [Fact]
    public void Figures_from_a_collection_during_the_quiet_are_not_refreshed()
    {
        var policy = new IdleMemoryTrimPolicy(idleMs: 1000);
        policy.Sample(0, 0, Heap + 10 * MiB, Heap, 3);
        policy.Sample(500, 200 * MiB, Heap + 10 * MiB, Heap, 3);
        policy.Sample(1000, 200 * MiB, Heap + 10 * MiB, Heap, 5); // a collection ran after the quiet began
        Assert.Equal(TrimStep.Wait, policy.Sample(1500, 200 * MiB, Heap + 10 * MiB, Heap, 5));
    }
}
