using ZkGateway.Backend.Primitives;

namespace ZkGateway.Testing.Contracts;

/// <summary>
/// The <see cref="ISessionLeaseStore"/> contract, run against the in-memory store (Backend.Tests) and
/// DynamoDB on the emulator (Aws.Tests). Each test gets a fresh, empty store.
/// </summary>
public abstract class SessionLeaseStoreContract
{
    protected abstract Task<ISessionLeaseStore> CreateStoreAsync();

    [Fact]
    public async Task A_claim_creates_a_lease_and_takes_it_from_another_owner()
    {
        var store = await CreateStoreAsync();
        Assert.Null(await store.GetAsync(1));
        Assert.True(await store.ClaimAsync("g1#a", 1, 4000));
        Assert.True(await store.ClaimAsync("g1#a", 2, 10000));
        Assert.Equal(new SessionLease(1, 4000, "g1#a", false), await store.GetAsync(1));
        Assert.Equal(new SessionLease(2, 10000, "g1#a", false), await store.GetAsync(2));

        // The client moved, with a new timeout.
        Assert.True(await store.ClaimAsync("g2#b", 1, 6000));
        Assert.Equal(new SessionLease(1, 6000, "g2#b", false), await store.GetAsync(1));
    }

    [Fact]
    public async Task Only_the_owner_can_mark_its_session_closing()
    {
        var store = await CreateStoreAsync();
        await store.ClaimAsync("g1#a", 1, 4000);
        // The client moved: g2 serves the session now, so g1's local expiry must not close it.
        await store.ClaimAsync("g2#b", 1, 4000);
        Assert.False(await store.TryMarkClosingAsync(1, "g1#a"));
        Assert.False((await store.GetAsync(1))!.Closing);
        Assert.True(await store.TryMarkClosingAsync(1, "g2#b"));
        // No lease at all: an owner condition cannot hold.
        Assert.False(await store.TryMarkClosingAsync(2, "g1#a"));
        Assert.Null(await store.GetAsync(2));
    }

    [Fact]
    public async Task Marking_closing_on_the_owners_liveness_fails_once_the_owner_renewed()
    {
        var store = await CreateStoreAsync();
        await store.RenewGatewayAsync("g1#a", 5000);
        await store.ClaimAsync("g1#a", 1, 4000);
        await store.ClaimAsync("g1#a", 2, 4000);
        // The heartbeat saw 5000; the owner renewed since: its sessions stay.
        await store.RenewGatewayAsync("g1#a", 9000);
        Assert.False(await store.TryMarkClosingAsync(1, "g1#a", 5000));
        Assert.False((await store.GetAsync(1))!.Closing);
        Assert.True(await store.TryMarkClosingAsync(1, "g1#a", 9000));
        Assert.True((await store.GetAsync(1))!.Closing);
        // An owner with no liveness at all cannot match one.
        Assert.False(await store.TryMarkClosingAsync(2, "g1#a", 0));
        await store.ForgetGatewayAsync("g1#a", 9000);
        Assert.False(await store.TryMarkClosingAsync(2, "g1#a", 9000));
        Assert.False((await store.GetAsync(2))!.Closing);
    }

    [Fact]
    public async Task Gateway_liveness_is_listed_per_owner_and_forgotten_only_if_unchanged()
    {
        var store = await CreateStoreAsync();
        Assert.Empty(await store.ListGatewaysAsync());
        await store.RenewGatewayAsync("g1#a", 5000);
        await store.RenewGatewayAsync("g2#b", 7000);
        await store.RenewGatewayAsync("g1#a", 6000);
        var listed = await store.ListGatewaysAsync();
        Assert.Equal(2, listed.Count);
        Assert.Equal(6000, listed["g1#a"]);
        Assert.Equal(7000, listed["g2#b"]);

        Assert.False(await store.ForgetGatewayAsync("g1#a", 5000));
        Assert.True(await store.ForgetGatewayAsync("g1#a", 6000));
        Assert.False(await store.ForgetGatewayAsync("g1#a", 6000));
        Assert.Equal(["g2#b"], (await store.ListGatewaysAsync()).Keys);
    }

    [Fact]
    public async Task Owned_leases_are_listed_for_the_owners_asked_closing_ones_included()
    {
        var store = await CreateStoreAsync();
        for (long id = 1; id <= 30; id++)
        {
            await store.ClaimAsync(id % 3 == 0 ? "g3#c" : id % 2 == 0 ? "g2#b" : "g1#a", id, 4000);
        }
        Assert.True(await store.TryMarkClosingAsync(1, "g1#a"));

        var owned = await store.ListOwnedAsync(["g1#a", "g3#c", "nobody#x"]);
        Assert.Equal(Enumerable.Range(1, 30).Where(i => i % 3 == 0 || i % 2 == 1).Select(i => (long)i), owned.Select(l => l.SessionId));
        Assert.True(owned.Single(l => l.SessionId == 1).Closing);
        Assert.All(owned.Where(l => l.SessionId != 1), l => Assert.False(l.Closing));
        Assert.Empty(await store.ListOwnedAsync([]));
    }

    [Fact]
    public async Task A_closing_lease_is_never_claimed_again()
    {
        var store = await CreateStoreAsync();
        await store.ClaimAsync("g1#a", 1, 4000);
        await store.ClaimAsync("g1#a", 2, 4000);
        Assert.True(await store.TryMarkClosingAsync(1, null));
        Assert.False(await store.ClaimAsync("g2#b", 1, 9000));
        Assert.True(await store.ClaimAsync("g2#b", 2, 9000));
        Assert.Equal(new SessionLease(1, 4000, "g1#a", true), await store.GetAsync(1));
        Assert.Equal(new SessionLease(2, 9000, "g2#b", false), await store.GetAsync(2));
    }

    [Fact]
    public async Task A_session_without_a_lease_can_be_closed_but_not_expired()
    {
        var store = await CreateStoreAsync();
        Assert.False(await store.TryMarkClosingAsync(7, "g#a"));
        Assert.Null(await store.GetAsync(7));
        Assert.True(await store.TryMarkClosingAsync(7, null));
        Assert.True((await store.GetAsync(7))!.Closing);
        Assert.False(await store.ClaimAsync("g#a", 7, 9000));
        Assert.True((await store.GetAsync(7))!.Closing);
    }

    [Fact]
    public async Task Exactly_one_of_many_concurrent_closers_wins()
    {
        var store = await CreateStoreAsync();
        await store.RenewGatewayAsync("g#a", 100);
        for (long id = 1; id <= 5; id++)
        {
            await store.ClaimAsync("g#a", id, 4000);
        }
        for (long id = 1; id <= 5; id++)
        {
            long session = id;
            var wins = await Task.WhenAll(Enumerable.Range(0, 16).Select(i =>
                Task.Run(async () => (i % 3) switch
                {
                    0 => await store.TryMarkClosingAsync(session, null),
                    1 => await store.TryMarkClosingAsync(session, "g#a"),
                    _ => await store.TryMarkClosingAsync(session, "g#a", 100),
                })));
            Assert.Equal(1, wins.Count(w => w));
        }
    }

    [Fact]
    public async Task Claims_racing_a_closer_never_bring_the_lease_back()
    {
        var store = await CreateStoreAsync();
        await store.ClaimAsync("g#a", 1, 4000);
        var claimers = Enumerable.Range(0, 8).Select(i => Task.Run(async () =>
        {
            for (int round = 0; round < 5; round++)
            {
                await store.ClaimAsync($"g{i}#x", 1, 4000 + round);
            }
        })).ToList();
        bool closed = await store.TryMarkClosingAsync(1, null);
        await Task.WhenAll(claimers);
        Assert.True(closed);
        Assert.True((await store.GetAsync(1))!.Closing);
    }

    [Fact]
    public async Task Removed_leases_are_gone()
    {
        var store = await CreateStoreAsync();
        await store.ClaimAsync("g#a", 1, 4000);
        await store.RemoveAsync(1);
        await store.RemoveAsync(2);
        Assert.Null(await store.GetAsync(1));
        Assert.Empty(await store.ListOwnedAsync(["g#a"]));
    }
}
