namespace ZkGateway.Compat.Infrastructure;

/// <summary>
/// The targets of a fixture that configures them one way (TLS, SASL, the AdminServer...): one per key,
/// made and started on first use, stopped when the fixture is disposed. A target whose start fails is
/// kept too, so it is still stopped.
/// </summary>
/// <typeparam name="TKey">What tells the targets apart (their kind, and any variant).</typeparam>
/// <typeparam name="TValue">The target, and whatever a test needs with it (a port).</typeparam>
public sealed class TargetsOnFirstUse<TKey, TValue>(Func<TValue, IZkTarget> targetOf) : IAsyncDisposable
    where TKey : notnull
{
    private readonly SemaphoreSlim _lock = new(1, 1);
    private readonly Dictionary<TKey, TValue> _started = [];

    public async Task<TValue> GetAsync(TKey key, Func<Task<TValue>> make)
    {
        await _lock.WaitAsync();
        try
        {
            if (_started.TryGetValue(key, out var known))
            {
                return known;
            }
            var made = await make();
            _started[key] = made;
            await targetOf(made).StartAsync();
            return made;
        }
        finally
        {
            _lock.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var value in _started.Values)
        {
            await targetOf(value).DisposeAsync();
        }
        _started.Clear();
        _lock.Dispose();
    }
}
