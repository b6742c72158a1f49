using Microsoft.Extensions.Logging.Abstractions;
using ZkGateway.Backend.Embedded;
using ZkGateway.Backend.Gateway;
using ZkGateway.Testing.Contracts;

namespace ZkGateway.Backend.Tests;

/// <summary>
/// A gateway's liveness: nothing written while it serves no session, one renewal per period while it
/// does (each valid for one and a half periods), fresh before a session is claimed, signed off at its stop time.
/// </summary>
public sealed class GatewayLivenessTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly ManualTime _time = new(Start);
    private readonly InMemorySessionLeases _store = new();

    private long Now => _time.GetUtcNow().ToUnixTimeMilliseconds();

    private GatewayLiveness NewLiveness(int periodMs = 60_000) =>
        new(new BackendOptions { GatewayId = "gw-a", LivenessRenewalMs = periodMs }, _store, _time, NullLogger.Instance);

    [Fact]
    public async Task A_gateway_that_serves_no_session_writes_nothing()
    {
        var liveness = NewLiveness();
        for (int tick = 0; tick < 10; tick++)
        {
            await liveness.RenewIfDueAsync(serving: false, CancellationToken.None);
            _time.Advance(TimeSpan.FromMinutes(5));
        }
        await liveness.SignOffAsync();
        Assert.Empty(await _store.ListGatewaysAsync());
    }

    [Fact]
    public async Task While_serving_it_renews_once_a_period_each_renewal_valid_for_one_and_a_half()
    {
        var liveness = NewLiveness();
        Assert.StartsWith("gw-a#", liveness.Owner, StringComparison.Ordinal);
        long first = Now;
        var deadlines = new List<long>();
        // A tick every second for five minutes.
        for (int second = 0; second <= 300; second++)
        {
            await liveness.RenewIfDueAsync(serving: true, CancellationToken.None);
            long until = (await _store.ListGatewaysAsync())[liveness.Owner];
            if (deadlines.Count == 0 || deadlines[^1] != until)
            {
                deadlines.Add(until);
            }
            // Whatever the moment, the stored deadline is more than half a period ahead of now.
            Assert.True(until - Now > 29_000, $"deadline {until - Now} ms ahead at {second} s");
            _time.Advance(TimeSpan.FromSeconds(1));
        }
        Assert.Equal([.. Enumerable.Range(0, 6).Select(i => first + (i * 60_000) + 90_000)], deadlines);
    }

    [Fact]
    public async Task A_claim_after_an_idle_spell_renews_first_and_a_fresh_one_does_not()
    {
        var liveness = NewLiveness();
        await liveness.EnsureFreshAsync(CancellationToken.None);
        long firstUntil = (await _store.ListGatewaysAsync())[liveness.Owner];
        Assert.Equal(Now + 90_000, firstUntil);

        _time.Advance(TimeSpan.FromSeconds(59));
        await liveness.EnsureFreshAsync(CancellationToken.None);
        Assert.Equal(firstUntil, (await _store.ListGatewaysAsync())[liveness.Owner]);

        // Idle for ten minutes (no renewal), then a new session.
        _time.Advance(TimeSpan.FromMinutes(10));
        await liveness.EnsureFreshAsync(CancellationToken.None);
        Assert.Equal(Now + 90_000, (await _store.ListGatewaysAsync())[liveness.Owner]);
    }

    [Fact]
    public async Task Signing_off_ends_the_liveness_at_the_stop_time()
    {
        var liveness = NewLiveness();
        await liveness.RenewIfDueAsync(serving: true, CancellationToken.None);
        _time.Advance(TimeSpan.FromSeconds(5));
        await liveness.SignOffAsync();
        Assert.Equal(Now, (await _store.ListGatewaysAsync())[liveness.Owner]);
    }

    [Fact]
    public void Every_start_is_a_new_owner()
    {
        Assert.NotEqual(NewLiveness().Owner, NewLiveness().Owner);
    }
}
