using ZkGateway.Backend.Primitives;

namespace ZkGateway.Backend.Tests;

/// <summary>System storage that supports nothing: a test's stand-in overrides only the calls its subject makes.</summary>
internal abstract class UnsupportedSystemStorage : ISystemStorage
{
    public virtual ValueTask<SystemNode?> GetNodeAsync(string path, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public virtual ValueTask<LockResult> TryLockAsync(string path, LockToken token, TimeSpan lease, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public virtual ValueTask UnlockAsync(string path, LockToken token, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public virtual ValueTask<bool[]> CommitAsync(IReadOnlyList<CommitRequest> requests, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public virtual ValueTask<long> IncrementCounterAsync(string name, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public virtual ValueTask<long> ReadCounterAsync(string name, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public virtual ValueTask<IReadOnlyList<Txn>> GetPendingAsync(CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public virtual ValueTask PopPendingAsync(long zxid, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public virtual ValueTask<SessionRecord?> GetSessionAsync(long sessionId, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public virtual ValueTask<IReadOnlyList<SessionRecord>> ListSessionsAsync(CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public virtual ValueTask<IReadOnlyList<string>> GetEphemeralsAsync(long sessionId, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public virtual ValueTask<int> CountEphemeralsAsync(CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public virtual ValueTask UpdateSessionTimeoutAsync(long sessionId, int timeoutMs, CancellationToken cancellationToken = default) => throw new NotSupportedException();
}
