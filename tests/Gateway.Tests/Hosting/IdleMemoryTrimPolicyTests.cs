using ZkGateway.Gateway.Hosting;

namespace ZkGateway.Gateway.Tests.Hosting;

/// <summary>When the gateway hands a burst's committed memory back: only once quiet, after a burst, with slack, and not too often.</summary>
public sealed class IdleMemoryTrimPolicyTests
{
    private const long MiB = 1L << 20;

    // Committed 300 MiB for 130 MiB of objects: slack well above the threshold.
    private const long Committed = 300 * MiB;
    private const long Heap = 130 * MiB;

    [Fact]
    public void A_burst_followed_by_quiet_is_trimmed_once_the_quiet_has_lasted_the_idle_time()
    {
        var policy = new IdleMemoryTrimPolicy(idleMs: 1000);
        Assert.False(policy.Sample(0, 0, Committed, Heap));
        Assert.False(policy.Sample(500, 200 * MiB, Committed, Heap)); // the burst: 400 MiB/s
        Assert.False(policy.Sample(1000, 200 * MiB, Committed, Heap)); // quiet since 500
        Assert.True(policy.Sample(1500, 200 * MiB + 1000, Committed, Heap)); // quiet for 1000 ms
    }

    [Fact]
    public void Allocation_above_the_quiet_rate_restarts_the_idle_clock()
    {
        var policy = new IdleMemoryTrimPolicy(idleMs: 1000);
        policy.Sample(0, 0, Committed, Heap);
        policy.Sample(500, 200 * MiB, Committed, Heap);
        policy.Sample(1000, 200 * MiB, Committed, Heap);
        Assert.False(policy.Sample(1500, 202 * MiB, Committed, Heap)); // 4 MiB/s: busy again
        Assert.False(policy.Sample(2000, 202 * MiB, Committed, Heap));
        Assert.True(policy.Sample(2500, 202 * MiB, Committed, Heap));
    }

    [Fact]
    public void Without_a_burst_or_without_slack_nothing_is_trimmed()
    {
        var small = new IdleMemoryTrimPolicy(idleMs: 1000);
        small.Sample(0, 0, Committed, Heap);
        small.Sample(500, 10 * MiB, Committed, Heap); // 10 MiB allocated: no burst
        Assert.False(small.Sample(5000, 10 * MiB, Committed, Heap));

        var tight = new IdleMemoryTrimPolicy(idleMs: 1000);
        tight.Sample(0, 0, Committed, Heap);
        tight.Sample(500, 200 * MiB, Heap + 10 * MiB, Heap); // 10 MiB of slack: not worth the pause
        Assert.False(tight.Sample(5000, 200 * MiB, Heap + 10 * MiB, Heap));

        // A large heap needs slack of a quarter of what it uses: 100 MiB on 600 MiB is not enough, 200 MiB is.
        var large = new IdleMemoryTrimPolicy(idleMs: 1000);
        large.Sample(0, 0, 700 * MiB, 600 * MiB);
        large.Sample(500, 900 * MiB, 700 * MiB, 600 * MiB);
        Assert.False(large.Sample(5000, 900 * MiB, 700 * MiB, 600 * MiB));
        Assert.True(large.Sample(5500, 900 * MiB, 800 * MiB, 600 * MiB));
    }

    [Fact]
    public void Trims_are_at_least_the_minimum_interval_apart_and_each_needs_a_new_burst()
    {
        var policy = new IdleMemoryTrimPolicy(idleMs: 1000);
        policy.Sample(0, 0, Committed, Heap);
        policy.Sample(500, 200 * MiB, Committed, Heap);
        Assert.True(policy.Sample(1500, 200 * MiB, Committed, Heap));
        policy.Trimmed(1500, 200 * MiB);
        Assert.False(policy.Sample(5000, 200 * MiB, Committed, Heap)); // no burst since

        policy.Sample(5500, 400 * MiB, Committed, Heap); // a second burst, soon after
        Assert.False(policy.Sample(7000, 400 * MiB, Committed, Heap)); // quiet, but within 30 s of the last trim
        long later = 1500 + IdleMemoryTrimPolicy.MinIntervalMs;
        Assert.True(policy.Sample(later, 400 * MiB, Committed, Heap));
    }
}
