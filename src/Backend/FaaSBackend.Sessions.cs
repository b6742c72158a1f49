using System.Security.Cryptography;
using ZkGateway.Backend.Functions;
using ZkGateway.Backend.Primitives;

namespace ZkGateway.Backend;

/// <summary>
/// Sessions: creation through the write path, resume, leases, and the heartbeat that expires them.
/// <para>
/// Every gateway keeps a local deadline per session it serves, moved by each packet, and expires its
/// own sessions when the deadline passes. With a shared lease store (gateways on one backend) it also
/// writes, in one batch per tick, the deadlines that are getting stale there: the stored deadline is
/// kept between the local one and half a timeout after it (rewritten when less than a quarter of a
/// timeout ahead), so an active session costs about four writes per timeout, not one per tick, and a
/// session of a gateway that died is expired by the heartbeat function between one and one and a half
/// timeouts after its client last spoke. Only the gateway that serves a session (per the store) may
/// expire it, so a client that moved to another gateway keeps it.
/// </para>
/// </summary>
public sealed partial class FaaSBackend
{
    public async ValueTask<SessionGrant> CreateSessionAsync(int timeoutMs, CancellationToken cancellationToken = default)
    {
        long sessionId;
        do
        {
            // Gateways sharing a backend cannot coordinate ZooKeeper's per-server id ranges cheaply:
            // they draw random 63-bit ids instead (a collision would also need the same moment).
            sessionId = _options.DirectReads
                ? BitConverter.ToInt64(RandomNumberGenerator.GetBytes(8)) & long.MaxValue
                : Interlocked.Increment(ref _nextSessionId);
        }
        while (sessionId == long.MinValue || sessionId == 0 || _leases.ContainsKey(sessionId));
        byte[] password = RandomNumberGenerator.GetBytes(16);
        var lease = _leases[sessionId] = new LocalLease(timeoutMs, Deadline(Now, timeoutMs));
        var result = await Submit(sessionId, new CreateSessionOperation(sessionId, password, timeoutMs), null, fromClient: false, cancellationToken).ConfigureAwait(false);
        await StoreLeasesAsync([(sessionId, lease)], cancellationToken).ConfigureAwait(false);
        return new SessionGrant(sessionId, password, timeoutMs, result.Zxid);
    }

    public async ValueTask<bool> TryResumeSessionAsync(long sessionId, ReadOnlyMemory<byte> password, int timeoutMs, CancellationToken cancellationToken = default)
    {
        var record = await _system.GetSessionAsync(sessionId, cancellationToken).ConfigureAwait(false);
        if (record is null || !CryptographicOperations.FixedTimeEquals(record.Password, password.Span))
        {
            return false;
        }
        if (!_leases.TryGetValue(sessionId, out var lease) && _leaseStore is not null)
        {
            // A session that moved here from another gateway of the same backend, unless it is being
            // closed: this gateway serves (and, if its client goes quiet, expires) it from now on.
            if (await _leaseStore.GetAsync(sessionId, cancellationToken).ConfigureAwait(false) is { Closing: true })
            {
                return false;
            }
            lease = _leases.GetOrAdd(sessionId, _ => new LocalLease(timeoutMs, Deadline(Now, timeoutMs)));
        }
        if (lease is null || lease.Closing)
        {
            return false;
        }
        lock (lease)
        {
            if (lease.Closing)
            {
                return false;
            }
            lease.TimeoutMs = timeoutMs;
            lease.ExpiresAt = Deadline(Now, timeoutMs);
        }
        await _system.UpdateSessionTimeoutAsync(sessionId, timeoutMs, cancellationToken).ConfigureAwait(false);
        // Taking the lease over also tells the previous gateway (through the store) that it no longer
        // serves the session.
        lease.StoredExpiresAt = 0;
        await StoreLeasesAsync([(sessionId, lease)], cancellationToken).ConfigureAwait(false);
        return true;
    }

    public void TouchSession(long sessionId)
    {
        if (_leases.TryGetValue(sessionId, out var lease))
        {
            lock (lease)
            {
                if (!lease.Closing)
                {
                    lease.ExpiresAt = Deadline(Now, lease.TimeoutMs);
                }
            }
        }
    }

    public bool IsSessionLive(long sessionId) => _leases.TryGetValue(sessionId, out var lease) && !lease.Closing;

    /// <summary>
    /// closeSession from the client: marks the session closing (no more requests), then deletes its
    /// ephemerals through the write path. The lease goes when the transaction is applied.
    /// </summary>
    public async Task<WriteResult> CloseSessionAsync(long sessionId, CancellationToken cancellationToken = default)
    {
        if (_leases.TryGetValue(sessionId, out var lease))
        {
            lock (lease)
            {
                lease.Closing = true;
            }
        }
        if (_leaseStore is not null)
        {
            // Closing in the store first: no other gateway can adopt the session from now on.
            await _leaseStore.TryMarkClosingAsync(sessionId, null, null, cancellationToken).ConfigureAwait(false);
        }
        var result = await SubmitAsync(sessionId, new CloseSessionOperation(), cancellationToken: cancellationToken).ConfigureAwait(false);
        _leases.TryRemove(sessionId, out _);
        if (_leaseStore is not null)
        {
            await _leaseStore.RemoveAsync(sessionId, cancellationToken).ConfigureAwait(false);
        }
        return result;
    }

    private long Now => _time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>ZooKeeper's ExpiryQueue rounds deadlines up to the next multiple of tickTime.</summary>
    private long Deadline(long now, int timeoutMs)
    {
        long tick = Math.Max(1, _options.TickTime);
        return ((now + timeoutMs) / tick + 1) * tick;
    }

    /// <summary>
    /// The gateway's heartbeat: every half tick, sessions whose local deadline passed are closed through
    /// the write path; with a shared store, this gateway's liveness and the stale stored deadlines are
    /// written too.
    /// </summary>
    private async Task HeartbeatAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(Math.Max(10, _options.TickTime / 2)), _time);
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
        {
            long now = Now;
            if (_leaseStore is not null)
            {
                await RenewSharedLeasesAsync(now, cancellationToken).ConfigureAwait(false);
            }
            foreach (var (sessionId, lease) in _leases)
            {
                bool expire;
                lock (lease)
                {
                    expire = !lease.Closing && lease.ExpiresAt <= now;
                    if (expire)
                    {
                        lease.Closing = true;
                    }
                }
                if (expire)
                {
                    _ = ExpireAsync(sessionId, cancellationToken);
                }
            }
        }
    }

    private async Task ExpireAsync(long sessionId, CancellationToken cancellationToken)
    {
        try
        {
            // With a shared store, only the gateway that still serves the session may expire it: one
            // whose client moved elsewhere just forgets it.
            if (_leaseStore is not null && !await _leaseStore.TryMarkClosingAsync(sessionId, null, _options.GatewayId, cancellationToken).ConfigureAwait(false))
            {
                return;
            }
            await Submit(sessionId, new CloseSessionOperation(), null, fromClient: false, cancellationToken).ConfigureAwait(false);
            if (_leaseStore is not null)
            {
                await _leaseStore.RemoveAsync(sessionId, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            // The store or queue failed: the session stays closing here; the heartbeat function (the
            // lease is still in the store) or the client's next connection will settle it.
        }
        finally
        {
            _leases.TryRemove(sessionId, out _);
        }
    }

    /// <summary>One tick of lease upkeep with a shared store: liveness, then the stale deadlines in one batch.</summary>
    private async Task RenewSharedLeasesAsync(long now, CancellationToken cancellationToken)
    {
        var stale = new List<(long, LocalLease)>();
        foreach (var (sessionId, lease) in _leases)
        {
            lock (lease)
            {
                if (!lease.Closing && lease.StoredExpiresAt - lease.ExpiresAt < lease.TimeoutMs / 4)
                {
                    stale.Add((sessionId, lease));
                }
            }
        }
        try
        {
            // Alive for three ticks: a few missed renewals (a slow store) do not hand the sessions over.
            await _leaseStore!.RenewGatewayAsync(_options.GatewayId, now + (3L * _options.TickTime), cancellationToken).ConfigureAwait(false);
            await StoreLeasesAsync(stale, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            // Try again next tick; stored deadlines keep half a timeout of slack.
        }
    }

    /// <summary>Writes stored deadlines half a timeout after the local ones (see the class remarks).</summary>
    private async Task StoreLeasesAsync(IReadOnlyList<(long SessionId, LocalLease Lease)> leases, CancellationToken cancellationToken)
    {
        if (_leaseStore is null || leases.Count == 0)
        {
            return;
        }
        var renewals = new List<LeaseRenewal>(leases.Count);
        foreach (var (sessionId, lease) in leases)
        {
            lock (lease)
            {
                lease.StoredExpiresAt = lease.ExpiresAt + (lease.TimeoutMs / 2);
                renewals.Add(new LeaseRenewal(sessionId, lease.StoredExpiresAt));
            }
        }
        await _leaseStore.RenewAsync(_options.GatewayId, renewals, cancellationToken).ConfigureAwait(false);
    }
}
