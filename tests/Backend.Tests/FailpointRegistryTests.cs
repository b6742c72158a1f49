using ZkGateway.Backend.Diagnostics;

namespace ZkGateway.Backend.Tests;

/// <summary>
/// The failpoint registry (docs/failpoints.md): how ZKGW_FAILPOINTS is spelt, what arming and disarming
/// do, and what a pause does. Points are armed here for a subject of each test's own, so that no
/// writer or distributor of another test in this process meets them; kill is parsed, never hit.
/// </summary>
public sealed class FailpointRegistryTests : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    private readonly string _subject = "test-" + Guid.NewGuid().ToString("N");
    private readonly string _hold = Path.Combine(Path.GetTempPath(), "zkgw-failpoint-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public void A_spelling_arms_each_named_point_with_its_action()
    {
        var table = FailpointTable.Parse(" writer-before-commit=kill ; distributor-before-apply=pause(/tmp/hold) ");

        Assert.Equal(2, table.Count);
        Assert.IsType<FailpointAction.Kill>(table.Find(Failpoints.WriterBeforeCommit, null));
        var pause = Assert.IsType<FailpointAction.Pause>(table.Find(Failpoints.DistributorBeforeApply, null));
        Assert.Equal("/tmp/hold", pause.HoldFile);
        Assert.Null(table.Find(Failpoints.WriterAfterCommit, null));
    }

    [Fact]
    public void A_point_armed_without_a_subject_is_hit_by_every_subject()
    {
        var table = FailpointTable.Parse("gateway-inbox=pause(/tmp/hold)");

        Assert.NotNull(table.Find(Failpoints.GatewayInbox, null));
        Assert.NotNull(table.Find(Failpoints.GatewayInbox, "gw-a"));
    }

    [Fact]
    public void A_point_armed_for_a_subject_is_hit_by_that_subject_only()
    {
        var table = FailpointTable.Parse("gateway-inbox@gw-a=pause(/tmp/hold)");

        Assert.NotNull(table.Find(Failpoints.GatewayInbox, "gw-a"));
        Assert.Null(table.Find(Failpoints.GatewayInbox, "gw-b"));
        Assert.Null(table.Find(Failpoints.GatewayInbox, null));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData(" ; ;")]
    public void A_blank_spelling_arms_nothing(string? spec)
    {
        Assert.Equal(0, FailpointTable.Parse(spec).Count);
    }

    [Theory]
    [InlineData("writer-before-comit=kill")]
    [InlineData("writer-before-commit")]
    [InlineData("=kill")]
    [InlineData("writer-before-commit=crash")]
    [InlineData("writer-before-commit=pause()")]
    [InlineData("writer-before-commit=pause(/tmp/hold")]
    [InlineData("gateway-inbox@=kill")]
    public void An_unknown_point_or_action_or_a_malformed_entry_is_refused(string spec)
    {
        Assert.Throws<ArgumentException>(() => FailpointTable.Parse(spec));
    }

    [Fact]
    public void Every_point_in_the_list_can_be_armed()
    {
        var table = FailpointTable.Parse(string.Join(";", Failpoints.Names.Select(n => n + "=kill")));

        Assert.All(Failpoints.Names, n => Assert.NotNull(table.Find(n, null)));
    }

    [Fact]
    public void Entries_armed_later_take_precedence_and_disarming_them_restores_the_earlier()
    {
        var earlier = FailpointTable.Parse("gateway-inbox=pause(/tmp/earlier)");
        var later = FailpointTable.Parse("gateway-inbox=pause(/tmp/later)");

        var both = later.Then(earlier);
        Assert.Equal("/tmp/later", Assert.IsType<FailpointAction.Pause>(both.Find(Failpoints.GatewayInbox, null)).HoldFile);
        var restored = both.Without(later);
        Assert.Equal("/tmp/earlier", Assert.IsType<FailpointAction.Pause>(restored.Find(Failpoints.GatewayInbox, null)).HoldFile);
    }

    [Fact]
    public void A_point_nothing_is_armed_at_returns_at_once()
    {
        Assert.True(Failpoints.HitAsync(Failpoints.GatewayInbox, _subject, default).IsCompletedSuccessfully);
    }

    [Fact]
    public void A_paused_point_whose_file_does_not_exist_returns_at_once()
    {
        using var armed = Arm();

        Assert.True(Failpoints.HitAsync(Failpoints.GatewayInbox, _subject, default).IsCompletedSuccessfully);
        Assert.False(File.Exists(_hold + ".held"));
    }

    [Fact]
    public async Task A_paused_point_waits_while_its_file_exists_and_says_it_is_held()
    {
        using var armed = Arm();
        File.WriteAllText(_hold, "");
        var hit = await HeldHitAsync(default);
        await Task.Delay(100);
        Assert.False(hit.IsCompleted);

        File.Delete(_hold);
        await hit.WaitAsync(Deadline);
        Assert.False(File.Exists(_hold + ".held"));
    }

    [Fact]
    public async Task Deleting_the_held_marker_lets_one_hit_go_and_the_next_waits_again()
    {
        using var armed = Arm();
        File.WriteAllText(_hold, "");
        var first = await HeldHitAsync(default);
        File.Delete(_hold + ".held");
        await first.WaitAsync(Deadline);

        var second = await HeldHitAsync(default);
        Assert.False(second.IsCompleted);
        File.Delete(_hold);
        await second.WaitAsync(Deadline);
    }

    [Fact]
    public async Task A_paused_point_gives_way_to_cancellation()
    {
        using var armed = Arm();
        File.WriteAllText(_hold, "");
        using var stop = new CancellationTokenSource();
        var hit = await HeldHitAsync(stop.Token);
        await stop.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => hit.WaitAsync(Deadline));
        Assert.False(File.Exists(_hold + ".held"));
    }

    [Fact]
    public void A_disarmed_point_no_longer_pauses()
    {
        File.WriteAllText(_hold, "");
        Arm().Dispose();

        Assert.True(Failpoints.HitAsync(Failpoints.GatewayInbox, _subject, default).IsCompletedSuccessfully);
    }

    /// <summary>Each test's hold file goes with it, however the test ends.</summary>
    public void Dispose()
    {
        File.Delete(_hold);
        File.Delete(_hold + ".held");
    }

    private IDisposable Arm() => Failpoints.Arm($"{Failpoints.GatewayInbox}@{_subject}=pause({_hold})");

    /// <summary>Hits this test's point and returns the hit once it says it is held (the .held file).</summary>
    private async Task<Task> HeldHitAsync(CancellationToken cancellationToken)
    {
        var hit = Failpoints.HitAsync(Failpoints.GatewayInbox, _subject, cancellationToken).AsTask();
        var deadline = DateTime.UtcNow + Deadline;
        while (!File.Exists(_hold + ".held"))
        {
            Assert.True(DateTime.UtcNow < deadline, "the point never said it was held");
            await Task.Delay(10);
        }
        return hit;
    }
}
