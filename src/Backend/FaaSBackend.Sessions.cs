using System.Security.Cryptography;
using ZkGateway.Backend.Functions;

namespace ZkGateway.Backend;

/// <summary>Sessions: creation through the write path, resume, leases, and the heartbeat that expires them.</summary>
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
        _leases[sessionId] = new SessionLease(timeoutMs, Deadline(Now, timeoutMs));
        var result = await SubmitAsync(sessionId, new CreateSessionOperation(sessionId, password, timeoutMs), cancellationToken: cancellationToken).ConfigureAwait(false);
        return new SessionGrant(sessionId, password, timeoutMs, result.Zxid);
    }

    public async ValueTask<bool> TryResumeSessionAsync(long sessionId, ReadOnlyMemory<byte> password, int timeoutMs, CancellationToken cancellationToken = default)
    {
        var record = await _system.GetSessionAsync(sessionId, cancellationToken).ConfigureAwait(false);
        if (record is null || !CryptographicOperations.FixedTimeEquals(record.Password, password.Span))
        {
            return false;
        }
        if (!_leases.TryGetValue(sessionId, out var lease) && _options.DirectReads)
        {
            // A session that moved here from another gateway of the same backend: this gateway serves
            // (and, if its client goes quiet, expires) it from now on.
            lease = _leases.GetOrAdd(sessionId, _ => new SessionLease(timeoutMs, Deadline(Now, timeoutMs)));
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
        var result = await SubmitAsync(sessionId, new CloseSessionOperation(), cancellationToken: cancellationToken).ConfigureAwait(false);
        _leases.TryRemove(sessionId, out _);
        return result;
    }

    private long Now => _time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>ZooKeeper's ExpiryQueue rounds deadlines up to the next multiple of tickTime.</summary>
    private long Deadline(long now, int timeoutMs)
    {
        long tick = Math.Max(1, _options.TickTime);
        return ((now + timeoutMs) / tick + 1) * tick;
    }

    /// <summary>The heartbeat function: every tick, sessions whose lease lapsed are closed through the write path.</summary>
    private async Task HeartbeatAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(Math.Max(10, _options.TickTime / 2)), _time);
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
        {
            long now = Now;
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
            await SubmitAsync(sessionId, new CloseSessionOperation(), cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _leases.TryRemove(sessionId, out _);
        }
    }
}
