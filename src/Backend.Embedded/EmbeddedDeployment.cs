using Microsoft.Extensions.Logging;
using ZkGateway.Backend.Functions.Writer;
using ZkGateway.Backend.Embedded.Durability;
using ZkGateway.Backend.Functions;
using ZkGateway.Backend.InProcess;
using ZkGateway.Backend.Primitives;

namespace ZkGateway.Backend.Embedded;

/// <summary>
/// The embedded deployment's composition root: a transaction log and snapshots in
/// <see cref="BackendOptions.DataDir"/> (<see cref="DurableStore"/>) behind system and user storage in
/// memory, an in-process writer queue, and the functions hosted in this process.
/// </summary>
public static partial class EmbeddedDeployment
{
    /// <summary>
    /// Opens (or creates) the data directory, rebuilds the state from its newest snapshot and the log
    /// after it, writes the initial tree into a new one, starts a new epoch, and starts the functions.
    /// </summary>
    public static async Task<FaaSBackend> StartAsync(BackendOptions options, INotificationSink sink, TimeProvider? time = null, ILoggerFactory? loggers = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        time ??= TimeProvider.System;
        var logger = loggers?.CreateLogger("ZkGateway.Backend.Embedded.DurableStore");
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        var store = DurableStore.Open(options.DataDir, options.SnapshotLogBytes, logger);
        double readMs = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        var indexed = store.Recovered.Indexed;
        var user = indexed is not null ? new EmbeddedUserStorage(indexed) : new EmbeddedUserStorage(store.Recovered.UserNodes);
        var system = new EmbeddedSystemStorage(store, time);
        double builtMs = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds;

        // Recovery: the log after the snapshot, in order, into both storages.
        foreach (var record in store.RecoveredTail)
        {
            system.Replay(record);
            if (record is CommitRecord commit)
            {
                await user.ApplyAsync([.. commit.Requests.Select(r => r.Pending).Where(t => t.ChangesState)], _ => { }).ConfigureAwait(false);
            }
        }
        if (logger is not null)
        {
            Log.Recovered(logger, indexed is not null ? "from its index, the tree loading in the background" : "whole", user.NodeCount, store.Recovered.FromSeq,
                store.RecoveredTail.Count, readMs, builtMs - readMs, System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds - builtMs);
        }
        if (indexed is not null)
        {
            // Lazy recovery: reads are served from the snapshot's index and the replayed tail now,
            // node writes once the load has swapped the trees in (docs/storage.md).
            user.TailReplayed();
        }
        else
        {
            store.ForgetRecovered();
            store.AttachSources(system.CaptureNodes, system.CaptureSessions, user.CaptureForSnapshot, () => user.AppliedZxid, system.NodeNow, user.Has);
        }

        if (system.IsEmpty)
        {
            await InitialTree.WriteAsync(system, user).ConfigureAwait(false);
        }

        // A new epoch per start keeps zxids growing across restarts: epoch << 32 | counter.
        long epoch = store.Epoch + 1;
        await store.AppendEpochAsync(epoch).ConfigureAwait(false);
        long firstZxid = epoch << 32;
        system.SetCounter(WriterFunction.ZxidCounter, firstZxid);
        user.SetAppliedZxid(firstZxid);

        var providers = new InProcessProviders(system, user, system, new ChannelQueue<WriteRequest>(), [user, store]);
        var backend = await FaaSBackend.StartInProcessAsync(options, sink, providers, time, loggers).ConfigureAwait(false);
        if (indexed is not null)
        {
            // Only now: the load takes a core and allocates the whole tree (its collections pause every
            // thread), and nothing of the start needs it. Started earlier, it slowed the epoch's append
            // and the functions' start, and so the first answered read (issue 14).
            BackgroundTreeLoad.Start(options.DataDir, store, indexed, store.RecoveredTail, system, user, logger);
        }
        return backend;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Recovered {Nodes} nodes from the snapshot at record {Seq} (read {How}) and {Records} log records after it: files read in {ReadMs:0} ms, tree built in {BuildMs:0} ms, log replayed in {ReplayMs:0} ms")]
        public static partial void Recovered(ILogger logger, string how, int nodes, long seq, int records, double readMs, double buildMs, double replayMs);
    }
}
