using Microsoft.Extensions.Logging;
using ZkGateway.Backend.Functions.Writer;
using ZkGateway.Backend.Functions;
using ZkGateway.Backend.InProcess;
using ZkGateway.Backend.Primitives;

namespace ZkGateway.Backend.Embedded;

/// <summary>
/// The embedded deployment's composition root: one SQLite database in <see cref="BackendOptions.DataDir"/>
/// for system and user storage, an in-process writer queue, and the functions hosted in this process.
/// </summary>
public static class EmbeddedDeployment
{
    /// <summary>
    /// Opens (or creates) the data directory, writes the initial tree into a new one, applies what a
    /// crash left committed but unapplied, starts a new epoch, and starts the functions.
    /// </summary>
    public static async Task<FaaSBackend> StartAsync(BackendOptions options, INotificationSink sink, TimeProvider? time = null, ILoggerFactory? loggers = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        time ??= TimeProvider.System;
        var db = SqliteDatabase.Open(options.DataDir);
        // One fsync'd SQLite transaction per writer batch: the commit writes the user rows too.
        var user = new EmbeddedUserStorage(db);
        var system = new EmbeddedSystemStorage(db, time, user.WriteRows);

        if (system.IsEmpty)
        {
            await InitialTree.WriteAsync(system, user).ConfigureAwait(false);
        }

        // Recovery: transactions committed (durable) but not yet applied to user storage before a crash.
        var pending = await system.GetPendingAsync().ConfigureAwait(false);
        if (pending.Count > 0)
        {
            await user.ApplyAsync(pending, _ => { }).ConfigureAwait(false);
            await system.CompleteRecoveredAsync(pending).ConfigureAwait(false);
            await system.PopPendingAsync(pending[^1].Zxid).ConfigureAwait(false);
        }

        // A new epoch per start keeps zxids growing across restarts: epoch << 32 | counter.
        long epoch = (db.ReadMeta("epoch") ?? 0) + 1;
        db.WriteMetaDurably("epoch", epoch);
        long firstZxid = epoch << 32;
        system.SetCounter(WriterFunction.ZxidCounter, firstZxid);
        user.SetAppliedZxid(firstZxid);

        var providers = new InProcessProviders(system, user, system, new ChannelQueue<WriteRequest>(), [user, db]);
        return await FaaSBackend.StartInProcessAsync(options, sink, providers, time, loggers).ConfigureAwait(false);
    }
}
