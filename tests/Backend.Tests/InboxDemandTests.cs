using ZkGateway.Backend.Gateway;

namespace ZkGateway.Backend.Tests;

/// <summary>The inbox loop's gate: it waits while nothing can arrive and wakes when a session or a write appears.</summary>
public sealed class InboxDemandTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Waiting_ends_only_once_something_is_expected_and_signalled()
    {
        bool expected = false;
        var demand = new InboxDemand(() => expected);
        var wait = demand.WaitUntilExpectedAsync(CancellationToken.None);
        Assert.False(wait.IsCompleted);

        // A signal while still nothing is expected (a session that went again) does not end the wait.
        demand.Signal();
        await Task.Yield();
        Assert.False(wait.IsCompleted);

        expected = true;
        demand.Signal();
        await wait.WaitAsync(HangGuard);
        Assert.True(demand.WaitUntilExpectedAsync(CancellationToken.None).IsCompletedSuccessfully);
    }

    [Fact]
    public async Task A_change_signalled_between_the_check_and_the_wait_is_not_lost()
    {
        bool expected = false;
        InboxDemand? demand = null;
        // The state changes and is signalled while the waiter is evaluating its check.
        demand = new InboxDemand(() =>
        {
            bool now = expected;
            if (!expected)
            {
                expected = true;
                demand!.Signal();
            }
            return now;
        });
        await demand.WaitUntilExpectedAsync(CancellationToken.None).WaitAsync(HangGuard);
    }

    [Fact]
    public async Task A_stopping_gateway_ends_the_wait()
    {
        var demand = new InboxDemand(() => false);
        using var stop = new CancellationTokenSource();
        var wait = demand.WaitUntilExpectedAsync(stop.Token);
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => wait.WaitAsync(HangGuard));
    }
}
