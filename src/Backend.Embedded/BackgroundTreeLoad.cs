using Microsoft.Extensions.Logging;
using ZkGateway.Backend.Diagnostics;
using ZkGateway.Backend.Embedded.Durability;
using ZkGateway.Backend.Primitives;

namespace ZkGateway.Backend.Embedded;

/// <summary>
/// The second half of a lazy recovery (docs/storage.md): on a thread of its own, reads the snapshot's
/// nodes sequentially, builds both storages' trees with the log tail applied, and swaps them in: the
/// user tree first (reads then come from memory), then the system nodes (which lets node writes go
/// on). Only then may snapshots start, since they copy from the storages.
/// </summary>
internal static partial class BackgroundTreeLoad
{
    public static Thread Start(string dataDir, DurableStore store, IndexedSnapshot snapshot, IReadOnlyList<StoreRecord> tail, EmbeddedSystemStorage system, EmbeddedUserStorage user, ILogger? logger)
    {
        var thread = new Thread(() => Run(dataDir, store, snapshot, tail, system, user, logger)) { IsBackground = true, Name = "zkgateway tree load" };
        thread.Start();
        return thread;
    }

    private static void Run(string dataDir, DurableStore store, IndexedSnapshot snapshot, IReadOnlyList<StoreRecord> tail, EmbeddedSystemStorage system, EmbeddedUserStorage user, ILogger? logger)
    {
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            // The subject is the data directory: a test pauses its own store's load, not another's.
            Failpoints.HitAsync(Failpoints.StoreTreeLoad, dataDir, CancellationToken.None).AsTask().GetAwaiter().GetResult();
            var systemNodes = new List<SystemNode>((int)Math.Min(snapshot.SystemNodes, int.MaxValue / 2));
            // The rows go straight into the tree being built: a list of them first was one zeroed array
            // of about 100 B a node (100 MB at 1M), allocated as the load began, beside the first reads.
            IEnumerable<UserRow> Rows()
            {
                foreach (var node in snapshot.Nodes())
                {
                    if (node.System is { } systemNode)
                    {
                        systemNodes.Add(systemNode);
                    }
                    if (node.User is { } row)
                    {
                        yield return row;
                    }
                }
            }
            var built = new EmbeddedUserStorage(Rows());
            foreach (var record in tail)
            {
                if (record is CommitRecord commit)
                {
                    // Completes synchronously: the built storage is not lazy.
                    built.ApplyAsync([.. commit.Requests.Select(r => r.Pending).Where(t => t.ChangesState)], _ => { }).AsTask().GetAwaiter().GetResult();
                }
            }
            user.FinishLoad(built);
            system.FinishLoad(systemNodes, tail);
            store.AttachSources(system.CaptureNodes, system.CaptureSessions, user.CaptureForSnapshot, () => user.AppliedZxid, system.NodeNow, user.Has);
            store.ForgetRecovered();
            if (logger is not null)
            {
                Log.Loaded(logger, systemNodes.Count, System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        }
        catch (Exception e)
        {
            // Disposal during the load lands here too (the snapshot's file is closed under it).
            if (logger is not null)
            {
                Log.Failed(logger, e);
            }
            user.FailLoad(e);
            system.FailLoad(e);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Tree loaded in the background: {Nodes} nodes in {Ms:0} ms; node writes go on from now")]
        public static partial void Loaded(ILogger logger, int nodes, double ms);

        [LoggerMessage(EventId = 3, Level = LogLevel.Error, Message = "The background tree load stopped: node writes wait and fail, reads go on from the snapshot")]
        public static partial void Failed(ILogger logger, Exception e);
    }
}
