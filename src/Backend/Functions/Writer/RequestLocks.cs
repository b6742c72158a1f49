using ZkGateway.Backend.Primitives;

namespace ZkGateway.Backend.Functions.Writer;

/// <summary>
/// The timed locks one request takes, with its batch's token, on every path it reads; the lock call
/// reads the node's committed state in the same step (one storage round trip: on DynamoDB, one
/// conditional UpdateItem). The commit is conditional on still holding them all.
/// </summary>
internal sealed class RequestLocks
{
    private readonly ISystemStorage _system;
    private readonly List<string> _held = [];

    /// <summary>
    /// Committed states read by this request's locks, or, for the parts of a split close, by the
    /// locks of the whole close first (same token: the locks are ours already, no second call).
    /// </summary>
    private readonly Dictionary<string, SystemNode?> _read;

    /// <param name="system">Where the locks are.</param>
    /// <param name="token">The batch's token: every request of a batch locks with it.</param>
    /// <param name="continues">The locks of the request this one continues (a part of a split close), or null.</param>
    public RequestLocks(ISystemStorage system, LockToken token, RequestLocks? continues = null)
    {
        _system = system;
        Token = token;
        _read = continues is null ? new(StringComparer.Ordinal) : new(continues._read, StringComparer.Ordinal);
    }

    public LockToken Token { get; }

    /// <summary>The paths this request's commit depends on (and releases).</summary>
    public List<string> Paths => _held;

    /// <summary>Locks the path (once per request) and returns its committed state.</summary>
    public async ValueTask<SystemNode?> LockAndReadAsync(string path, CancellationToken ct)
    {
        if (_read.TryGetValue(path, out var known))
        {
            if (!_held.Contains(path))
            {
                // Locked by the request this one continues (a part of a split close): this part's
                // commit depends on the lock, and releases it if it is the last to hold it.
                _held.Add(path);
            }
            return known;
        }
        var delay = TimeSpan.FromMilliseconds(1);
        LockResult result;
        while (!(result = await _system.TryLockAsync(path, Token, WriterFunction.LockLease, ct).ConfigureAwait(false)).Acquired)
        {
            // Another writer holds it (several writer instances, or a crashed one whose lease has
            // not lapsed yet): back off.
            await Task.Delay(delay, ct).ConfigureAwait(false);
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 100));
        }
        _held.Add(path);
        _read[path] = result.Node;
        return result.Node;
    }
}
