using System.Collections.Concurrent;
using System.Security.Cryptography;
using ZkGateway.Backend.Functions;
using ZkGateway.Backend.Primitives;

namespace ZkGateway.Backend.Gateway;

/// <summary>
/// The sessions this gateway serves: creation through the write path, resume, a local deadline per
/// session moved by each packet, and closeSession.
/// <para>
/// With a shared lease store (gateways on one backend) the store names this gateway process as each
/// session's owner, written once when it takes the session (created here, or its client moved here), and
/// this gateway's liveness (<see cref="GatewayLiveness"/>) stands for all of them: no write per session
/// while it serves them. <see cref="SessionHeartbeat"/> expires the local deadlines and renews the
/// liveness; the heartbeat function expires the sessions of an owner whose liveness lapsed.
/// </para>
/// </summary>
internal sealed class SessionLeases(BackendOptions options, ISystemStorage system, ISessionLeaseStore? store, GatewayLiveness? liveness, InflightWrites writes, SessionIds ids, TimeProvider time, InboxDemand? demand = null)
{
    private readonly ConcurrentDictionary<long, LocalLease> _leases = new();

    public int Count => _leases.Count;

    /// <summary>
    /// Milliseconds on the monotonic clock, as the local deadlines are kept: a step of the wall clock
    /// (NTP, a resumed VM) must not expire live sessions (docs/reliability.md, clock step). ZooKeeper
    /// times sessions by System.nanoTime for the same reason.
    /// </summary>
    public long Now => (long)time.GetElapsedTime(0, time.GetTimestamp()).TotalMilliseconds;

    /// <summary>A session that was live when this gateway started (embedded: recovered from disk) is served from a fresh deadline.</summary>
    public void Serve(long sessionId, int timeoutMs) => _leases[sessionId] = new LocalLease(timeoutMs, Deadline(Now, timeoutMs));

    public async ValueTask<SessionGrant> CreateAsync(int timeoutMs, CancellationToken cancellationToken)
    {
        long sessionId;
        do
        {
            sessionId = ids.Next();
        }
        while (sessionId == long.MinValue || sessionId == 0 || _leases.ContainsKey(sessionId));
        byte[] password = RandomNumberGenerator.GetBytes(16);
        if (liveness is not null)
        {
            // Fresh before the session exists: a store that cannot be written fails the creation, not the session.
            await liveness.EnsureFreshAsync(cancellationToken).ConfigureAwait(false);
        }
        _leases[sessionId] = new LocalLease(timeoutMs, Deadline(Now, timeoutMs));
        demand?.Signal();
        var result = await writes.Submit(sessionId, new CreateSessionOperation(sessionId, password, timeoutMs), null, fromClient: false, cancellationToken).ConfigureAwait(false);
        await ClaimAsync(sessionId, timeoutMs, cancellationToken).ConfigureAwait(false);
        return new SessionGrant(sessionId, password, timeoutMs, result.Zxid);
    }

    public async ValueTask<bool> TryResumeAsync(long sessionId, ReadOnlyMemory<byte> password, int timeoutMs, CancellationToken cancellationToken)
    {
        var record = await system.GetSessionAsync(sessionId, cancellationToken).ConfigureAwait(false);
        if (record is null || !CryptographicOperations.FixedTimeEquals(record.Password, password.Span))
        {
            return false;
        }
        if (!_leases.TryGetValue(sessionId, out var lease) && store is not null)
        {
            // A session that moved here from another gateway of the same backend, unless it is being
            // closed: this gateway serves (and, if its client goes quiet, expires) it from now on.
            if (await store.GetAsync(sessionId, cancellationToken).ConfigureAwait(false) is { Closing: true })
            {
                Settle(sessionId);
                return false;
            }
            lease = _leases.GetOrAdd(sessionId, _ => new LocalLease(timeoutMs, Deadline(Now, timeoutMs)));
            demand?.Signal();
        }
        if (lease is null)
        {
            return false;
        }
        lock (lease)
        {
            if (lease.State == LeaseState.Expiring)
            {
                // Its expiry's first step is under way and may yet fail on the store (then the session
                // lives on): not an answer to give yet. The client tries again, as after any lost
                // connection, and by then it is decided.
                throw new StorageUnavailableException($"session 0x{sessionId:x}'s expiry is in progress", untilRestart: false);
            }
            if (lease.State == LeaseState.Closing)
            {
                return false;
            }
            // An expiry stalled on the store ends here: the store just answered (the session's record
            // above), so the session is served again rather than expired for the store's outage.
            lease.State = LeaseState.Live;
            lease.TimeoutMs = timeoutMs;
            lease.ExpiresAt = Deadline(Now, timeoutMs);
        }
        await system.UpdateSessionTimeoutAsync(sessionId, timeoutMs, cancellationToken).ConfigureAwait(false);
        // Taking the lease over also tells the previous gateway (through the store) that it no longer
        // serves the session. A lease marked closing meanwhile (its old gateway or the heartbeat function
        // is expiring it) cannot be taken: the session is gone.
        if (!await ClaimAsync(sessionId, timeoutMs, cancellationToken).ConfigureAwait(false))
        {
            _leases.TryRemove(sessionId, out _);
            Settle(sessionId);
            return false;
        }
        return true;
    }

    /// <summary>
    /// A resume refused on a lease marked closing: whoever marked it (its owner, or the heartbeat
    /// function) may have failed before its closeSession was sent, and then nobody else would send it
    /// while the owner lives, leaving the session's ephemerals behind (the AWS nemesis "cloud faults +
    /// function-host kill" found one). So the refusing gateway sends it too. A closeSession of a
    /// closed session changes nothing but a zxid; it costs one write, on this rare path only.
    /// </summary>
    private void Settle(long sessionId) => _ = SettleAsync(sessionId);

    private async Task SettleAsync(long sessionId)
    {
        try
        {
            await SendCloseAsync(sessionId, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The store or queue failed again: the next refused resume, or the heartbeat function once
            // the owner lapses, sends it.
        }
    }

    /// <summary>
    /// The closeSession of a session whose lease is (or may be) marked closing, not from its client,
    /// then the lease's removal from the shared store: an expiry's last steps, and a settlement's.
    /// </summary>
    public async Task SendCloseAsync(long sessionId, CancellationToken cancellationToken)
    {
        await writes.Submit(sessionId, new CloseSessionOperation(), null, fromClient: false, cancellationToken).ConfigureAwait(false);
        if (store is not null)
        {
            await store.RemoveAsync(sessionId, cancellationToken).ConfigureAwait(false);
        }
    }

    public void Touch(long sessionId)
    {
        if (_leases.TryGetValue(sessionId, out var lease))
        {
            lock (lease)
            {
                if (lease.State == LeaseState.Live)
                {
                    lease.ExpiresAt = Deadline(Now, lease.TimeoutMs);
                }
            }
        }
    }

    public bool IsLive(long sessionId) => _leases.TryGetValue(sessionId, out var lease) && lease.State == LeaseState.Live;

    /// <summary>
    /// closeSession from the client: marks the session closing (no more requests), then deletes its
    /// ephemerals through the write path. The lease goes when the transaction is applied.
    /// </summary>
    public async Task<WriteResult> CloseAsync(long sessionId, CancellationToken cancellationToken)
    {
        if (_leases.TryGetValue(sessionId, out var lease))
        {
            lock (lease)
            {
                lease.State = LeaseState.Closing;
            }
        }
        if (store is not null)
        {
            // Closing in the store first: no other gateway can adopt the session from now on.
            await store.TryMarkClosingAsync(sessionId, null, null, cancellationToken).ConfigureAwait(false);
        }
        var result = await writes.Submit(sessionId, new CloseSessionOperation(), null, fromClient: true, cancellationToken).ConfigureAwait(false);
        _leases.TryRemove(sessionId, out _);
        if (store is not null)
        {
            await store.RemoveAsync(sessionId, cancellationToken).ConfigureAwait(false);
        }
        return result;
    }

    /// <summary>The session ended (its close was applied, or it expired): this gateway no longer serves it.</summary>
    public void Forget(long sessionId) => _leases.TryRemove(sessionId, out _);

    /// <summary>Marks expiring every live session whose local deadline is at or before <paramref name="now"/> and returns them (null: none).</summary>
    public List<long>? BeginExpiry(long now)
    {
        List<long>? expired = null;
        foreach (var (sessionId, lease) in _leases)
        {
            lock (lease)
            {
                if (lease.State != LeaseState.Live || lease.ExpiresAt > now)
                {
                    continue;
                }
                lease.State = LeaseState.Expiring;
            }
            (expired ??= []).Add(sessionId);
        }
        return expired;
    }

    /// <summary>The session's expiry failed on the store before it was marked closing there (see <see cref="LeaseState.ExpiryStalled"/>).</summary>
    public void StallExpiry(long sessionId)
    {
        if (_leases.TryGetValue(sessionId, out var lease))
        {
            lock (lease)
            {
                if (lease.State == LeaseState.Expiring)
                {
                    lease.State = LeaseState.ExpiryStalled;
                }
            }
        }
    }

    /// <summary>The session's expiry is decided (marked closing in the store, or there is no store): a resume is refused from now on.</summary>
    public void ConfirmExpiry(long sessionId)
    {
        if (_leases.TryGetValue(sessionId, out var lease))
        {
            lock (lease)
            {
                if (lease.State is LeaseState.Expiring or LeaseState.ExpiryStalled)
                {
                    lease.State = LeaseState.Closing;
                }
            }
        }
    }

    /// <summary>
    /// The store answers again after the session's expiry stalled: the session is live again, with a
    /// full timeout from now. True when it is live here (re-armed now, or already by its client's resume).
    /// </summary>
    public bool Rearm(long sessionId)
    {
        if (!_leases.TryGetValue(sessionId, out var lease))
        {
            return false;
        }
        lock (lease)
        {
            if (lease.State == LeaseState.ExpiryStalled)
            {
                lease.State = LeaseState.Live;
                lease.ExpiresAt = Deadline(Now, lease.TimeoutMs);
            }
            return lease.State == LeaseState.Live;
        }
    }

    /// <summary>After an outage of the store: every live or stalled session's deadline is at least a full timeout from now.</summary>
    public void RearmAll()
    {
        long now = Now;
        foreach (var lease in _leases.Values)
        {
            lock (lease)
            {
                if (lease.State is LeaseState.Live or LeaseState.ExpiryStalled)
                {
                    lease.State = LeaseState.Live;
                    lease.ExpiresAt = Math.Max(lease.ExpiresAt, Deadline(now, lease.TimeoutMs));
                }
            }
        }
    }

    /// <summary>
    /// Names this gateway process as the session's owner in the shared store (nothing without one), after
    /// making sure its liveness is fresh; false when the lease is closing.
    /// </summary>
    private async Task<bool> ClaimAsync(long sessionId, int timeoutMs, CancellationToken cancellationToken)
    {
        if (store is null || liveness is null)
        {
            return true;
        }
        await liveness.EnsureFreshAsync(cancellationToken).ConfigureAwait(false);
        return await store.ClaimAsync(liveness.Owner, sessionId, timeoutMs, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>ZooKeeper's ExpiryQueue rounds deadlines up to the next multiple of tickTime.</summary>
    private long Deadline(long now, int timeoutMs)
    {
        long tick = Math.Max(1, options.TickTime);
        return ((now + timeoutMs) / tick + 1) * tick;
    }
}
