using ZkGateway.Backend.Primitives;

namespace ZkGateway.Backend.Aws;

/// <summary>
/// User storage as a gateway that hosts its distributor sees it: its reads and its own applies
/// exclude each other (<see cref="ReadApplyGate"/>), which is the atomicity <see cref="IUserStorage.ReadAsync{T}(string, Func{UserNode?, long, T}, CancellationToken)"/>
/// promises. Reads of other gateways' writes are ordered by the epoch stamps as before.
/// </summary>
internal sealed class GatedUserStorage(IAwsUserStorage inner) : IAwsUserStorage
{
    private readonly ReadApplyGate _gate = new();

    public long AppliedZxid => inner.AppliedZxid;

    public int NodeCount => inner.NodeCount;

    public long ApproximateDataSize => inner.ApproximateDataSize;

    public void ObserveZxid(long zxid) => inner.ObserveZxid(zxid);

    public ValueTask<long> RefreshAppliedZxidAsync(CancellationToken cancellationToken = default) => inner.RefreshAppliedZxidAsync(cancellationToken);

    public ValueTask ImportNodesAsync(IReadOnlyList<UserNode> nodes, long stampZxid, CancellationToken cancellationToken = default) => inner.ImportNodesAsync(nodes, stampZxid, cancellationToken);

    public async ValueTask<T> ReadAsync<T>(string path, Func<UserNode?, long, T> read, CancellationToken cancellationToken = default)
    {
        await _gate.EnterReadAsync().ConfigureAwait(false);
        try
        {
            return await inner.ReadAsync(path, read, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.ExitRead();
        }
    }

    public async ValueTask<T> ReadAsync<TState, T>(string path, TState state, Func<UserNode?, long, TState, T> read, CancellationToken cancellationToken = default)
    {
        await _gate.EnterReadAsync().ConfigureAwait(false);
        try
        {
            return await inner.ReadAsync(path, state, read, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.ExitRead();
        }
    }

    public ValueTask<int> CountDescendantsAsync(string path, CancellationToken cancellationToken = default) => inner.CountDescendantsAsync(path, cancellationToken);

    public async ValueTask ApplyAsync(IReadOnlyList<Txn> txns, Action<Txn> onApplied, CancellationToken cancellationToken = default) =>
        await ApplyAsync(txns, null, onApplied, cancellationToken).ConfigureAwait(false);

    public async ValueTask<IReadOnlyCollection<string>> ApplyAsync(IReadOnlyList<Txn> txns, EpochStamp? epoch, Action<Txn> onApplied, CancellationToken cancellationToken = default)
    {
        await _gate.EnterApplyAsync().ConfigureAwait(false);
        try
        {
            return await inner.ApplyAsync(txns, epoch, onApplied, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.ExitApply();
        }
    }
}
