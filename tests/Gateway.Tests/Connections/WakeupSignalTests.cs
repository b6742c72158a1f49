using ZkGateway.Gateway.Connections;

namespace ZkGateway.Gateway.Tests.Connections;

/// <summary>The writer loop's wake-up: signals are kept until waited for, coalesce, and end at completion.</summary>
public sealed class WakeupSignalTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public async Task Signals_before_the_wait_are_kept_and_coalesce_into_one_wake_up(int signals)
    {
        var signal = new WakeupSignal();
        for (var i = 0; i < signals; i++)
        {
            signal.Signal();
        }
        Assert.True(await signal.WaitAsync());
        Assert.False(signal.WaitAsync().IsCompleted);
    }

    [Fact]
    public async Task A_signal_wakes_a_pending_wait()
    {
        var signal = new WakeupSignal();
        var wait = signal.WaitAsync();
        Assert.False(wait.IsCompleted);
        signal.Signal();
        Assert.True(await wait);
    }

    [Fact]
    public async Task Completion_ends_a_pending_wait_and_every_later_one()
    {
        var signal = new WakeupSignal();
        var wait = signal.WaitAsync();
        signal.Complete();
        Assert.False(await wait);
        signal.Signal();
        Assert.False(await signal.WaitAsync());
    }

    [Fact]
    public async Task Every_signal_from_other_threads_is_followed_by_a_wake_up()
    {
        // The loop's contract: after a signal, a wait returns at least once more. A lost wake-up
        // would leave the last round's wait pending and the test hanging.
        var signal = new WakeupSignal();
        const int rounds = 2000;
        var seen = 0;
        var consumer = Task.Run(async () =>
        {
            while (await signal.WaitAsync() && Volatile.Read(ref seen) < rounds)
            {
            }
        });
        for (var i = 1; i <= rounds; i++)
        {
            Volatile.Write(ref seen, i);
            await Task.Run(signal.Signal);
        }
        await consumer;
        signal.Complete();
        Assert.Equal(rounds, Volatile.Read(ref seen));
    }
}
