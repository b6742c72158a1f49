using ZkGateway.Backend.Primitives;

namespace ZkGateway.Backend.Functions.Writer;

/// <summary>
/// One request as the writer prepares it: who sends it, the zxid and time it is given, the state it
/// sees and stages (<see cref="Scope"/>), and the changes and watch triggers its transaction will
/// carry. Built once per request (once per part of a split close) and passed to every check.
/// </summary>
internal sealed class WriteContext(long sessionId, CallerIdentity caller, long zxid, long time, RequestScope scope, CancellationToken cancellation)
{
    /// <summary>The sending session (0 for the reaper's requests, as in ZooKeeper).</summary>
    public long SessionId { get; } = sessionId;

    /// <summary>The identities ACLs are checked against.</summary>
    public CallerIdentity Caller { get; } = caller;

    public long Zxid { get; } = zxid;

    /// <summary>The transaction's time (ms since the epoch): ctime and mtime of what it writes.</summary>
    public long Time { get; } = time;

    public RequestScope Scope { get; } = scope;

    /// <summary>What the distributor will apply to user storage, in order.</summary>
    public List<NodeChange> Changes { get; } = [];

    /// <summary>The watch events the transaction fires, in order.</summary>
    public List<WatchTrigger> Triggers { get; } = [];

    public CancellationToken Cancellation { get; } = cancellation;

    /// <summary>The node as this request sees it (locking it first; see <see cref="RequestScope.GetAsync"/>).</summary>
    public ValueTask<SystemNode?> GetAsync(string path) => Scope.GetAsync(path, Cancellation);

    /// <summary>A failed request changes nothing: drops what it staged, its changes and its triggers.</summary>
    public void DiscardEffects()
    {
        Scope.DiscardWrites();
        Changes.Clear();
        Triggers.Clear();
    }
}
