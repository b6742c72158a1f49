using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging;
using ZkGateway.Backend.Diagnostics;
using ZkGateway.Backend.Primitives;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.Backend.Functions;

/// <summary>
/// ZooKeeper's ContainerManager as a function: every <see cref="BackendOptions.ContainerCheckIntervalMs"/>
/// it picks the container and TTL nodes that should go and sends one deleteContainer per node through
/// the normal write path, so each deletion gets a zxid and fires NodeDeleted and the parent's
/// NodeChildrenChanged like any delete.
/// <para>
/// Candidates, as 3.8.0 chooses them: a childless container whose child-creation counter (the stored
/// cversion) is above 0, i.e. one that has had children — a fresh container is left alone so that it
/// can get its first child — or, when <see cref="BackendOptions.ContainerMaxNeverUsedIntervalMs"/> is
/// set, a childless container unchanged for longer than that; and a childless TTL node unchanged for
/// longer than its TTL (only while extended types are enabled: without them 3.8.0 does not recognise
/// TTL nodes). The writer checks again when the request reaches it, so a node that got a child (or,
/// for a TTL node, a change) meanwhile stays.
/// </para>
/// <para>
/// At most <see cref="BackendOptions.ContainerMaxPerMinute"/> deletions a minute: after each one the
/// function waits out the rest of 60000 / maxPerMinute ms, as ContainerManager does, so a burst of
/// empty containers does not flood the writer queue.
/// </para>
/// </summary>
public sealed class ReaperFunction
{
    private readonly ISystemStorage _system;
    private readonly INodeTypeIndex _index;
    private readonly Func<WriteOperation, CancellationToken, Task<WriteResult>> _submit;
    private readonly TimeProvider _time;
    private readonly BackendOptions _options;
    private readonly ILogger _logger;

    /// <summary>
    /// <paramref name="index"/> lists the candidates' paths, <paramref name="system"/> gives their
    /// committed state, and <paramref name="submit"/> puts a request on the writer queue and waits for its result.
    /// </summary>
    public ReaperFunction(ISystemStorage system, INodeTypeIndex index, Func<WriteOperation, CancellationToken, Task<WriteResult>> submit, TimeProvider time, BackendOptions options, ILogger? logger = null)
    {
        _logger = logger ?? NullLogger.Instance;
        _system = system;
        _index = index;
        _submit = submit;
        _time = time;
        _options = options;
    }

    /// <summary>Checks every interval (the first check one interval after the start, as ZooKeeper) until cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(Math.Max(1, _options.ContainerCheckIntervalMs)), _time);
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
        {
            try
            {
                await CheckAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                // A failed pass is not fatal: ContainerManager keeps its timer too, and the next pass
                // finds the same candidates again.
                BackendLog.ReaperPassFailed(_logger, e);
            }
            catch (Exception) when (cancellationToken.IsCancellationRequested)
            {
                // A pass that failed because we are stopping (or while we did) ends the loop as a cancellation.
                cancellationToken.ThrowIfCancellationRequested();
            }
        }
    }

    /// <summary>One pass: sends a deleteContainer for every candidate; returns how many nodes it deleted.</summary>
    public async Task<int> CheckAsync(CancellationToken cancellationToken)
    {
        using var charge = Metering.CostMeter.Begin("reaper");
        long minIntervalMs = 60_000 / Math.Max(1, _options.ContainerMaxPerMinute);
        int deleted = 0;
        foreach (string path in await CandidatesAsync(cancellationToken).ConfigureAwait(false))
        {
            long started = _time.GetTimestamp();
            var result = await _submit(new DeleteContainerOperation(path), cancellationToken).WaitAsync(cancellationToken).ConfigureAwait(false);
            // Anything but Ok means the node changed since the scan (a child, a setData, already gone):
            // it is simply not a candidate any more.
            if (result.Error == ErrorCode.Ok)
            {
                deleted++;
            }
            var wait = TimeSpan.FromMilliseconds(minIntervalMs) - _time.GetElapsedTime(started);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, _time, cancellationToken).ConfigureAwait(false);
            }
        }
        return deleted;
    }

    /// <summary>The container and TTL nodes that should be deleted now (ContainerManager.getCandidates).</summary>
    public async Task<IReadOnlyList<string>> CandidatesAsync(CancellationToken cancellationToken)
    {
        long now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var candidates = new List<string>();
        foreach (string path in await _index.ListContainersAndTtlNodesAsync(cancellationToken).ConfigureAwait(false))
        {
            if (await _system.GetNodeAsync(path, cancellationToken).ConfigureAwait(false) is not { } node || node.Stat.NumChildren > 0)
            {
                continue;
            }
            long owner = node.Stat.EphemeralOwner;
            long elapsed = now - node.Stat.Mtime;
            if (NodeKinds.IsContainer(owner))
            {
                long neverUsed = _options.ContainerMaxNeverUsedIntervalMs;
                if (node.Stat.Cversion > 0 || (neverUsed != 0 && elapsed > neverUsed))
                {
                    candidates.Add(path);
                }
            }
            else if (_options.ExtendedTypesEnabled && NodeKinds.TtlOf(owner) is { } ttl && elapsed > ttl)
            {
                candidates.Add(path);
            }
        }
        // Parents before children is not needed (a candidate has no children); a stable order keeps runs reproducible.
        candidates.Sort(StringComparer.Ordinal);
        return candidates;
    }
}
