using ZkGateway.Backend.Embedded;
using ZkGateway.Backend.Functions;
using ZkGateway.Backend.Primitives;
using ZkGateway.Testing.Contracts;

namespace ZkGateway.Backend.Tests;

/// <summary>
/// The heartbeat function on gateway liveness: it expires the sessions of an owner whose liveness lapsed,
/// each one its timeout after the lapse and not before, leaves live owners and moved sessions alone,
/// settles closes a dead owner left half done, forgets owners with nothing left, and reads nothing but
/// the liveness item when nobody lapsed.
/// </summary>
public sealed class HeartbeatFunctionTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly ManualTime _time = new(Start);
    private readonly CountingLeases _leases = new(new InMemorySessionLeases());
    private readonly RecordingWriterQueue _writer = new();

    private long Now => _time.GetUtcNow().ToUnixTimeMilliseconds();

    private HeartbeatFunction Heartbeat => new(_leases, _writer, _time);

    [Fact]
    public async Task A_lapsed_owners_session_is_expired_its_timeout_after_the_lapse_and_not_before()
    {
        long lapse = Now + 1000;
        await _leases.RenewGatewayAsync("gw-a#1", lapse);
        await _leases.ClaimAsync("gw-a#1", 11, 4000);
        await _leases.ClaimAsync("gw-a#1", 12, 30000);

        Assert.Equal(0, await Heartbeat.RunOnceAsync());          // still alive
        _time.Advance(TimeSpan.FromMilliseconds(1000 + 3999));
        Assert.Equal(0, await Heartbeat.RunOnceAsync());          // lapsed, but 4 s have not passed
        Assert.Empty(_writer.Sent);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(1, await Heartbeat.RunOnceAsync());

        var close = Assert.Single(_writer.Sent);
        Assert.Equal(11, close.SessionId);
        Assert.IsType<CloseSessionOperation>(close.Operation);
        Assert.Equal("gw-a", close.ReplyTo.GatewayId);             // the gateway's inbox, not the incarnation
        Assert.Null(await _leases.GetAsync(11));
        Assert.False((await _leases.GetAsync(12))!.Closing);
        Assert.Contains("gw-a#1", (await _leases.ListGatewaysAsync()).Keys);   // it still owns session 12

        _time.Advance(TimeSpan.FromSeconds(26));
        Assert.Equal(1, await Heartbeat.RunOnceAsync());
        Assert.Equal([11L, 12L], _writer.Sent.Select(w => w.SessionId));
        Assert.Empty(await _leases.ListGatewaysAsync());           // nothing left: forgotten
    }

    [Fact]
    public async Task A_live_owner_and_a_session_that_moved_to_one_keep_their_sessions()
    {
        await _leases.RenewGatewayAsync("gw-a#1", Now);            // signed off
        await _leases.RenewGatewayAsync("gw-b#2", Now + 60_000);
        await _leases.ClaimAsync("gw-a#1", 1, 4000);
        await _leases.ClaimAsync("gw-a#1", 2, 4000);
        await _leases.ClaimAsync("gw-b#2", 3, 4000);
        await _leases.ClaimAsync("gw-b#2", 2, 4000);                // session 2's client moved to B

        _time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(1, await Heartbeat.RunOnceAsync());
        Assert.Equal([1L], _writer.Sent.Select(w => w.SessionId));
        Assert.Equal("gw-b#2", (await _leases.GetAsync(2))!.Owner);
        Assert.False((await _leases.GetAsync(3))!.Closing);
    }

    [Fact]
    public async Task An_owner_that_renews_between_the_read_and_the_mark_keeps_its_sessions()
    {
        await _leases.RenewGatewayAsync("gw-a#1", Now);
        await _leases.ClaimAsync("gw-a#1", 1, 4000);
        _time.Advance(TimeSpan.FromSeconds(10));
        // The owner renews right after the heartbeat listed the leases (it was only slow).
        _leases.AfterListOwned = () => _leases.RenewGatewayAsync("gw-a#1", Now + 60_000).AsTask();
        Assert.Equal(0, await Heartbeat.RunOnceAsync());
        Assert.Empty(_writer.Sent);
        Assert.False((await _leases.GetAsync(1))!.Closing);
        Assert.Contains("gw-a#1", (await _leases.ListGatewaysAsync()).Keys);
    }

    [Fact]
    public async Task A_close_a_dead_owner_began_is_sent_again_and_its_lease_removed()
    {
        await _leases.RenewGatewayAsync("gw-a#1", Now + 60_000);
        await _leases.ClaimAsync("gw-a#1", 5, 40_000);
        // The gateway marked the session closing (expiry or the client's close) and died before sending it.
        Assert.True(await _leases.TryMarkClosingAsync(5, "gw-a#1"));
        Assert.Equal(0, await Heartbeat.RunOnceAsync());           // alive: its close is its own business
        _time.Advance(TimeSpan.FromSeconds(61));
        Assert.Equal(1, await Heartbeat.RunOnceAsync());           // lapsed: no need to wait for the timeout
        Assert.Equal([5L], _writer.Sent.Select(w => w.SessionId));
        Assert.Null(await _leases.GetAsync(5));
        Assert.Empty(await _leases.ListGatewaysAsync());
    }

    [Fact]
    public async Task A_pass_with_no_lapsed_owner_reads_only_the_liveness_item()
    {
        await _leases.RenewGatewayAsync("gw-a#1", Now + 60_000);
        for (long id = 1; id <= 50; id++)
        {
            await _leases.ClaimAsync("gw-a#1", id, 4000);
        }
        _leases.Calls.Clear();
        for (int pass = 0; pass < 3; pass++)
        {
            Assert.Equal(0, await Heartbeat.RunOnceAsync());
        }
        Assert.Equal(["ListGateways", "ListGateways", "ListGateways"], _leases.Calls);

        // And with nobody registered at all (every gateway idle): the same single read.
        _time.Advance(TimeSpan.FromMinutes(2));
        await Heartbeat.RunOnceAsync();
        _leases.Calls.Clear();
        await Heartbeat.RunOnceAsync();
        Assert.Equal(["ListGateways"], _leases.Calls);
    }

    [Fact]
    public async Task A_close_marked_but_not_sent_is_sent_at_a_later_pass_even_if_its_owner_renewed_meanwhile()
    {
        await _leases.RenewGatewayAsync("gw-a#1", Now);
        await _leases.ClaimAsync("gw-a#1", 11, 4000);
        var heartbeat = Heartbeat;
        _time.Advance(TimeSpan.FromSeconds(5));

        // The mark lands, the closeSession's send fails.
        _writer.Failing = true;
        await Assert.ThrowsAsync<IOException>(() => heartbeat.RunOnceAsync());
        Assert.True((await _leases.GetAsync(11))!.Closing);
        // The owner was only slow: it renews, and is no longer lapsed.
        await _leases.RenewGatewayAsync("gw-a#1", Now + 60_000);
        _writer.Failing = false;

        Assert.Equal(1, await heartbeat.RunOnceAsync());
        Assert.Equal(11, Assert.Single(_writer.Sent).SessionId);
        Assert.Null(await _leases.GetAsync(11));
        Assert.Equal(0, await heartbeat.RunOnceAsync());
        Assert.Single(_writer.Sent);
    }

    [Fact]
    public async Task After_a_pass_that_could_not_read_the_store_every_lapse_counts_from_its_return()
    {
        await _leases.RenewGatewayAsync("gw-a#1", Now + 1000);
        await _leases.ClaimAsync("gw-a#1", 11, 4000);
        var heartbeat = Heartbeat;
        await StoreDownAsync(heartbeat);

        // 8 s past the lapse, but the store has been back for less than the session's timeout.
        Assert.Equal(0, await heartbeat.RunOnceAsync());
        _time.Advance(TimeSpan.FromMilliseconds(3999));
        Assert.Equal(0, await heartbeat.RunOnceAsync());
        Assert.Empty(_writer.Sent);
        // The owner did not renew within the timeout after the return: it is gone.
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(1, await heartbeat.RunOnceAsync());
        Assert.Equal(11, Assert.Single(_writer.Sent).SessionId);
    }

    [Fact]
    public async Task An_owner_that_renews_once_the_store_is_back_keeps_its_sessions()
    {
        await _leases.RenewGatewayAsync("gw-a#1", Now + 1000);
        await _leases.ClaimAsync("gw-a#1", 11, 4000);
        var heartbeat = Heartbeat;
        await StoreDownAsync(heartbeat);

        // The heartbeat's first pass comes before the gateway's renewal, as it did in the DynamoDB kill nemesis.
        Assert.Equal(0, await heartbeat.RunOnceAsync());
        await _leases.RenewGatewayAsync("gw-a#1", Now + 1500);
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(0, await heartbeat.RunOnceAsync());
        Assert.Empty(_writer.Sent);
        Assert.False((await _leases.GetAsync(11))!.Closing);
    }

    /// <summary>
    /// The store down from 2 s after now until 9 s after it: the owners cannot renew, and one pass of
    /// <paramref name="heartbeat"/> (the instance that must remember it) fails to read.
    /// </summary>
    private async Task StoreDownAsync(HeartbeatFunction heartbeat)
    {
        _time.Advance(TimeSpan.FromSeconds(2));
        _leases.Unreachable = true;
        await Assert.ThrowsAsync<IOException>(() => heartbeat.RunOnceAsync());
        _time.Advance(TimeSpan.FromSeconds(7));
        _leases.Unreachable = false;
    }
}
