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
    public async Task Renewal_creates_and_moves_leases_and_takes_ownership()
    {
        var store = await CreateStoreAsync();
        Assert.Null(await store.GetAsync(1));
        await store.RenewAsync("g1", [new LeaseRenewal(1, 1000), new LeaseRenewal(2, 2000)]);
        Assert.Equal(new SessionLease(1, 1000, "g1", false), await store.GetAsync(1));
        Assert.Equal(new SessionLease(2, 2000, "g1", false), await store.GetAsync(2));

        await store.RenewAsync("g2", [new LeaseRenewal(1, 5000)]);
        Assert.Equal(new SessionLease(1, 5000, "g2", false), await store.GetAsync(1));
    }

    [Fact]
    public async Task Only_the_serving_gateway_can_mark_its_session_closing()
    {
        var store = await CreateStoreAsync();
        await store.RenewAsync("g1", [new LeaseRenewal(1, 1000)]);
        // The client moved: g2 serves the session now, so g1's local expiry must not close it.
        await store.RenewAsync("g2", [new LeaseRenewal(1, 9000)]);
        Assert.False(await store.TryMarkClosingAsync(1, null, "g1"));
        Assert.False((await store.GetAsync(1))!.Closing);
        Assert.True(await store.TryMarkClosingAsync(1, null, "g2"));
        // No lease at all: a gateway condition cannot hold.
        Assert.False(await store.TryMarkClosingAsync(2, null, "g1"));
        Assert.Null(await store.GetAsync(2));
    }

    [Fact]
    public async Task Gateway_liveness_is_recorded_per_gateway()
    {
        var store = await CreateStoreAsync();
        Assert.Null(await store.GetGatewayAliveUntilAsync("g1"));
        await store.RenewGatewayAsync("g1", 5000);
        await store.RenewGatewayAsync("g2", 7000);
        await store.RenewGatewayAsync("g1", 6000);
        Assert.Equal(6000, await store.GetGatewayAliveUntilAsync("g1"));
        Assert.Equal(7000, await store.GetGatewayAliveUntilAsync("g2"));
    }

    [Fact]
    public async Task A_batch_of_many_renewals_writes_every_lease()
    {
        var store = await CreateStoreAsync();
        var renewals = Enumerable.Range(1, 120).Select(i => new LeaseRenewal(i, 10_000 + i)).ToList();
        await store.RenewAsync("g", renewals);
        foreach (var renewal in renewals)
        {
            Assert.Equal(renewal.ExpiresAtMs, (await store.GetAsync(renewal.SessionId))!.ExpiresAtMs);
        }
    }

    [Fact]
    public async Task A_closing_lease_is_never_renewed_again()
    {
        var store = await CreateStoreAsync();
        await store.RenewAsync("g1", [new LeaseRenewal(1, 1000), new LeaseRenewal(2, 1000)]);
        Assert.True(await store.TryMarkClosingAsync(1, 1000));
        await store.RenewAsync("g2", [new LeaseRenewal(1, 9000), new LeaseRenewal(2, 9000)]);
        Assert.Equal(new SessionLease(1, 1000, "g1", true), await store.GetAsync(1));
        Assert.Equal(new SessionLease(2, 9000, "g2", false), await store.GetAsync(2));
    }

    [Fact]
    public async Task Expired_lists_only_lapsed_leases_that_are_not_closing_up_to_max()
    {
        var store = await CreateStoreAsync();
        await store.RenewAsync("g", [.. Enumerable.Range(1, 10).Select(i => new LeaseRenewal(i, i * 100))]);
        Assert.True(await store.TryMarkClosingAsync(2, null));

        var expired = await store.ListExpiredAsync(500, 100);
        Assert.Equal([1L, 3, 4, 5], expired.Select(l => l.SessionId).Order());
        Assert.Equal(3, (await store.ListExpiredAsync(500, 3)).Count);
        Assert.Empty(await store.ListExpiredAsync(50, 100));
    }

    [Fact]
    public async Task Marking_closing_respects_the_expiry_condition()
    {
        var store = await CreateStoreAsync();
        await store.RenewAsync("g", [new LeaseRenewal(1, 1000)]);
        Assert.False(await store.TryMarkClosingAsync(1, 999));
        Assert.False((await store.GetAsync(1))!.Closing);
        Assert.True(await store.TryMarkClosingAsync(1, 1000));
        Assert.False(await store.TryMarkClosingAsync(1, 5000));
        Assert.False(await store.TryMarkClosingAsync(1, null));
    }

    [Fact]
    public async Task A_session_without_a_lease_can_be_closed_but_not_expired()
    {
        var store = await CreateStoreAsync();
        Assert.False(await store.TryMarkClosingAsync(7, 1000));
        Assert.Null(await store.GetAsync(7));
        Assert.True(await store.TryMarkClosingAsync(7, null));
        Assert.True((await store.GetAsync(7))!.Closing);
        await store.RenewAsync("g", [new LeaseRenewal(7, 9000)]);
        Assert.True((await store.GetAsync(7))!.Closing);
    }

    [Fact]
    public async Task Exactly_one_of_many_concurrent_closers_wins()
    {
        var store = await CreateStoreAsync();
        await store.RenewAsync("g", [.. Enumerable.Range(1, 5).Select(i => new LeaseRenewal(i, 100))]);
        for (long id = 1; id <= 5; id++)
        {
            long session = id;
            var wins = await Task.WhenAll(Enumerable.Range(0, 16).Select(i =>
                Task.Run(async () => await store.TryMarkClosingAsync(session, i % 2 == 0 ? 1000 : null))));
            Assert.Equal(1, wins.Count(w => w));
        }
    }

    [Fact]
    public async Task Renewals_racing_a_closer_never_bring_the_lease_back()
    {
        var store = await CreateStoreAsync();
        await store.RenewAsync("g", [new LeaseRenewal(1, 100)]);
        var renewers = Enumerable.Range(0, 8).Select(i => Task.Run(async () =>
        {
            for (int round = 0; round < 5; round++)
            {
                await store.RenewAsync($"g{i}", [new LeaseRenewal(1, 200 + round)]);
            }
        })).ToList();
        bool closed = await store.TryMarkClosingAsync(1, null);
        await Task.WhenAll(renewers);
        Assert.True(closed);
        Assert.True((await store.GetAsync(1))!.Closing);
        Assert.Empty(await store.ListExpiredAsync(long.MaxValue, 10));
    }

    [Fact]
    public async Task Removed_leases_are_gone()
    {
        var store = await CreateStoreAsync();
        await store.RenewAsync("g", [new LeaseRenewal(1, 100)]);
        await store.RemoveAsync(1);
        await store.RemoveAsync(2);
        Assert.Null(await store.GetAsync(1));
        Assert.Empty(await store.ListExpiredAsync(long.MaxValue, 10));
    }
}
