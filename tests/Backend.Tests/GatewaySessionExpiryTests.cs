using Microsoft.Extensions.Logging.Abstractions;
using ZkGateway.Backend.Embedded;
using ZkGateway.Backend.Functions;
using ZkGateway.Backend.Gateway;
using ZkGateway.Backend.Primitives;
using ZkGateway.Jute.Protocol;
using ZkGateway.Testing.Contracts;

namespace ZkGateway.Backend.Tests;

/// <summary>
/// A gateway's own expiry of the sessions it serves, on a shared lease store that goes down: a
/// session whose deadline passes while nobody can reach the store is not expired for the outage
/// (its client could not resume anywhere), but served again with a full timeout from the store's
/// return, as a new ZooKeeper leader gives every session; once the store is back, a session nobody
/// resumes expires as usual. The DynamoDB-kill nemesis found both ways a deadline passes in an outage:
/// the expiry fails on the store, or it waits behind a renewal that hangs until the store is back
/// (docs/reliability.md).
/// </summary>
public sealed class GatewaySessionExpiryTests
{
    private const long SessionId = 0x51;
    private const int TimeoutMs = 4000;
    private static readonly byte[] Password = [1, 2, 3, 4];

    private readonly ManualTime _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly CountingLeases _store = new(new InMemorySessionLeases());
    private readonly RecordingWriterQueue _writer = new();
    private readonly BackendOptions _options = new() { TickTime = 100, GatewayId = "gw-a", LivenessRenewalMs = 1000 };
    private readonly OneSession _system;
    private readonly SessionLeases _sessions;
    private readonly SessionHeartbeat _heartbeat;
    private readonly GatewayLiveness _liveness;

    public GatewaySessionExpiryTests()
    {
        _system = new OneSession(_store);
        var writes = new InflightWrites(_writer, _options.GatewayId, new NoSink(), deferReplies: false);
        _writer.Answer = request =>
        {
            if (request.Operation is CloseSessionOperation)
            {
                _system.Closed = true;
            }
            writes.SendReply(request.ReplyTo, new WriteResult(ErrorCode.Ok, 1));
        };
        _liveness = new GatewayLiveness(_options, _store, _time, NullLogger.Instance);
        _sessions = new SessionLeases(_options, _system, _store, _liveness, writes, SessionIds.Sequential(1, _time), _time);
        _heartbeat = new SessionHeartbeat(_options, _sessions, _store, _liveness, _time, NullLogger.Instance);
    }

    [Fact]
    public async Task A_deadline_that_passes_while_the_store_is_down_is_rearmed_by_the_stores_return()
    {
        await ServeAsync();
        var expiry = await ExpireWithTheStoreDownAsync();
        Assert.False(expiry.IsCompleted);
        Assert.False(_sessions.IsLive(SessionId));               // no requests while its fate is open

        _store.Unreachable = false;
        await expiry.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(_sessions.IsLive(SessionId));
        Assert.False((await _store.GetAsync(SessionId))!.Closing);
        Assert.DoesNotContain(_writer.Sent, w => w.Operation is CloseSessionOperation);

        // A full timeout from the return, and not before: the same deadline rule as any packet's.
        _time.Advance(TimeSpan.FromMilliseconds(TimeoutMs - 1));
        await _heartbeat.ExpireDue(_sessions.Now, CancellationToken.None);
        Assert.True(_sessions.IsLive(SessionId));
        _time.Advance(TimeSpan.FromMilliseconds(200));
        await _heartbeat.ExpireDue(_sessions.Now, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(_sessions.IsLive(SessionId));
        Assert.IsType<CloseSessionOperation>(Assert.Single(_writer.Sent).Operation);
        Assert.Null(await _store.GetAsync(SessionId));
    }

    [Fact]
    public async Task A_deadline_that_passed_behind_failing_renewals_gets_a_full_timeout_from_the_first_renewal_that_succeeds()
    {
        await ServeAsync();
        _store.Unreachable = true;
        _time.Advance(TimeSpan.FromMilliseconds(1000));          // a renewal is due, and fails
        await await _heartbeat.TickAsync(CancellationToken.None);
        _time.Advance(TimeSpan.FromMilliseconds(TimeoutMs));     // the deadline passes meanwhile

        // The store is back: the tick's renewal, which comes before its expiries, succeeds.
        _store.Unreachable = false;
        await (await _heartbeat.TickAsync(CancellationToken.None)).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(_sessions.IsLive(SessionId));
        Assert.Empty(_writer.Sent);

        _time.Advance(TimeSpan.FromMilliseconds(TimeoutMs + 200));
        await (await _heartbeat.TickAsync(CancellationToken.None)).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(_sessions.IsLive(SessionId));
        Assert.IsType<CloseSessionOperation>(Assert.Single(_writer.Sent).Operation);
    }

    [Fact]
    public async Task A_client_that_resumes_once_the_store_is_back_keeps_its_session()
    {
        await ServeAsync();
        var expiry = await ExpireWithTheStoreDownAsync();
        await Assert.ThrowsAsync<IOException>(() => _sessions.TryResumeAsync(SessionId, Password, TimeoutMs, CancellationToken.None).AsTask());

        // The client's retry comes before the expiry's own next look at the store.
        _store.Unreachable = false;
        Assert.True(await _sessions.TryResumeAsync(SessionId, Password, TimeoutMs, CancellationToken.None));
        await expiry.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(_sessions.IsLive(SessionId));
        Assert.Equal(_liveness.Owner, (await _store.GetAsync(SessionId))!.Owner);
        Assert.Empty(_writer.Sent);
    }

    [Fact]
    public async Task A_resume_while_the_expirys_mark_is_in_flight_is_a_lost_connection_then_the_mark_decides()
    {
        await ServeAsync();
        _time.Advance(TimeSpan.FromMilliseconds(TimeoutMs + 200));
        var markSent = new TaskCompletionSource();
        _store.MarkGate = markSent.Task;
        var expiry = _heartbeat.ExpireDue(_sessions.Now, CancellationToken.None);

        // Not "expired" yet: the mark may still fail on the store, and then the session lives on.
        await Assert.ThrowsAsync<StorageUnavailableException>(() => _sessions.TryResumeAsync(SessionId, Password, TimeoutMs, CancellationToken.None).AsTask());
        markSent.SetResult();
        await expiry.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(await _sessions.TryResumeAsync(SessionId, Password, TimeoutMs, CancellationToken.None));
        Assert.IsType<CloseSessionOperation>(Assert.Single(_writer.Sent).Operation);
    }

    [Fact]
    public async Task A_mark_that_landed_although_its_call_failed_is_finished_with_a_close()
    {
        await ServeAsync();
        // The mark commits, then the store goes down before it answers.
        await _store.TryMarkClosingAsync(SessionId, _liveness.Owner);
        var expiry = await ExpireWithTheStoreDownAsync();
        _store.Unreachable = false;
        await expiry.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.False(_sessions.IsLive(SessionId));
        Assert.IsType<CloseSessionOperation>(Assert.Single(_writer.Sent).Operation);
        Assert.Null(await _store.GetAsync(SessionId));
    }

    [Fact]
    public async Task A_session_whose_client_moved_to_another_gateway_meanwhile_is_only_forgotten()
    {
        await ServeAsync();
        var expiry = await ExpireWithTheStoreDownAsync();
        _store.Unreachable = false;
        await _store.ClaimAsync("gw-b#2", SessionId, TimeoutMs);
        await expiry.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(0, _sessions.Count);
        Assert.Empty(_writer.Sent);
        Assert.False((await _store.GetAsync(SessionId))!.Closing);
    }

    /// <summary>The session's deadline passes with the store down: its expiry starts, and fails on the store a few times (the returned task is the expiry).</summary>
    private async Task<Task> ExpireWithTheStoreDownAsync()
    {
        _time.Advance(TimeSpan.FromMilliseconds(TimeoutMs + 200));
        _store.Unreachable = true;
        var expiry = _heartbeat.ExpireDue(_sessions.Now, CancellationToken.None);
        await Task.Delay(400);
        return expiry;
    }

    private async Task ServeAsync()
    {
        await _liveness.RenewIfDueAsync(serving: true, CancellationToken.None);
        _sessions.Serve(SessionId, TimeoutMs);
        Assert.True(await _store.ClaimAsync(_liveness.Owner, SessionId, TimeoutMs));
    }

    private sealed class NoSink : INotificationSink
    {
        public void Deliver(long watcher, WatchEvent watchEvent)
        {
        }

        public void SessionClosed(long sessionId)
        {
        }
    }

    /// <summary>
    /// System storage holding the one session until its close is applied (its record is all a resume
    /// reads); it fails with the lease store, as both live in DynamoDB.
    /// </summary>
    private sealed class OneSession(CountingLeases leases) : UnsupportedSystemStorage
    {
        public bool Closed { get; set; }

        public override ValueTask<SessionRecord?> GetSessionAsync(long sessionId, CancellationToken cancellationToken = default) =>
            leases.Unreachable
                ? throw new IOException("the store is unreachable")
                : ValueTask.FromResult<SessionRecord?>(sessionId == SessionId && !Closed ? new SessionRecord(SessionId, Password, TimeoutMs) : null);

        public override ValueTask UpdateSessionTimeoutAsync(long sessionId, int timeoutMs, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;
    }
}
