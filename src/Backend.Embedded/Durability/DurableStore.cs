using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ZkGateway.Backend.Primitives;
using ZkGateway.Jute.Framing;

namespace ZkGateway.Backend.Embedded.Durability;

/// <summary>
/// The embedded deployment's durable state, as ZooKeeper keeps it: a transaction log that every
/// writer batch appends one record to (fsync'd before anything of it is acknowledged) and snapshots
/// of the whole state taken now and then, after which older log files are deleted. The state itself
/// lives in memory (the storages); this class only makes it survive a restart.
/// <para>
/// Why not the SQLite tables of earlier builds: updating a B-tree in place dirties a page per node
/// touched, so each create wrote ~18 KiB (issue 14: 8x ZooKeeper). A log appends each change once;
/// a snapshot writes each node once per snapshot interval.
/// </para>
/// <para>
/// <b>Snapshots are fuzzy</b>, as ZooKeeper's are: the log is rolled at record P (under the write
/// lock, after which the system storage holds every record before P, since a commit appends and
/// applies under that lock), the snapshot waits until the user storage has applied every transaction
/// before P, and then copies the state while later commits go on. Every record sets whole states
/// (a node's Stat, data and ACL; a session's presence), so replaying the log from P over a snapshot
/// that already has some of those later records gives the exact state.
/// </para>
/// <para>
/// A snapshot starts when the log since the last one holds at least <see cref="BackendOptions.SnapshotLogBytes"/>
/// and at least as many bytes as the last snapshot: the bytes written per change stay at most about
/// twice the log's, however large the tree. The newest two snapshots are kept, with the log from the
/// older one, so a damaged newest snapshot still leaves a way back.
/// </para>
/// </summary>
public sealed class DurableStore : IOnlineBackup, IDisposable
{
    private readonly string _dir;
    private readonly long _minLogBytes;
    private readonly ILogger _logger;
    private readonly RecordLog _log;
    private readonly FrameBuffer _encoded = new(64 * 1024);
    private long _logBytesSinceRoll;
    private long _lastSnapshotBytes;
    private long _lastLoggedTxnZxid;
    private Task _snapshot = Task.CompletedTask;
    // Backups under way hold the snapshot and log files they copy from retention's deletions.
    private readonly object _retention = new();
    private int _backupsUnderWay;
    private Func<IReadOnlyList<SystemNode>>? _systemNodes;
    private Func<IReadOnlyList<SessionRecord>>? _sessions;
    private Func<IEnumerable<UserRow>>? _userNodes;
    private Func<long>? _userAppliedZxid;
    private Func<string, SystemNode?>? _systemNode;
    private Func<string, bool>? _userHas;
    private volatile bool _disposed;
    private int _refusingUntilRestart;
    // The idle snapshot: when the last record was appended, and the timer that looks once a second.
    private long _lastAppendMs = Environment.TickCount64;
    private readonly Timer _idleSnapshots;

    /// <summary>How long without an append counts as idle for <see cref="SnapshotIfIdle"/>.</summary>
    internal const int IdleSnapshotMs = 2000;

    /// <summary>An idle snapshot is taken once the log since the last one is this fraction of that snapshot's size.</summary>
    private const int IdleSnapshotFraction = 8;

    private DurableStore(string dir, long minLogBytes, ILogger logger, RecordLog log, SnapshotImage recovered, IReadOnlyList<StoreRecord> tail, long epoch, long lastSnapshotBytes, long lastTxnZxid)
    {
        _lastLoggedTxnZxid = lastTxnZxid;
        _dir = dir;
        _minLogBytes = minLogBytes;
        _logger = logger;
        _log = log;
        Recovered = recovered;
        RecoveredTail = tail;
        Epoch = epoch;
        _lastSnapshotBytes = lastSnapshotBytes;
        _idleSnapshots = new Timer(_ => SnapshotIfIdle(), null, 1000, 1000);
    }

    /// <summary>One lock for every append (writer commits, session timeouts, the epoch) and the log roll.</summary>
    public SemaphoreSlim WriteLock { get; } = new(1, 1);

    /// <summary>The state of the snapshot recovery started from (empty for a new data directory).</summary>
    internal SnapshotImage Recovered { get; private set; }

    /// <summary>The log records after <see cref="Recovered"/>, to be replayed onto it in order.</summary>
    internal IReadOnlyList<StoreRecord> RecoveredTail { get; private set; }

    /// <summary>The last epoch recovered (0 for a new data directory).</summary>
    public long Epoch { get; private set; }

    /// <summary>The newest snapshot on disk: the zxid it holds everything up to, and when it was written.</summary>
    public SnapshotInfo? LastSnapshot { get; private set; }

    /// <summary>
    /// Opens the data directory: imports a database of an earlier build (<see cref="LegacySqliteImport"/>),
    /// reads the newest whole snapshot and the log after it (cutting a torn last record), and starts a
    /// new log file. A damaged snapshot or log record that was acknowledged is an
    /// <see cref="InvalidDataException"/> naming the file and offset: nothing is guessed.
    /// </summary>
    public static DurableStore Open(string dataDir, long minLogBytes, ILogger? logger = null)
    {
        logger ??= NullLogger.Instance;
        Directory.CreateDirectory(dataDir);
        LegacySqliteImport.ImportIfPresent(dataDir, logger);

        var snapshots = SnapshotFile.Files(dataDir);
        // The newest snapshot's CRC check runs while the log after it is read (its seq is in its
        // name): two files, two cores. Used only if that snapshot turns out whole.
        var newest = snapshots.Count > 0 ? Task.Run(() => SnapshotFile.Read(snapshots[0].Path, lazy: true)) : null;
        LogTail? early = null;
        InvalidDataException? earlyError = null;
        if (newest is not null)
        {
            try
            {
                early = ReadTail(dataDir, snapshots[0].FromSeq, logger);
            }
            catch (InvalidDataException e)
            {
                earlyError = e;
            }
        }
        SnapshotImage? image = null;
        SnapshotInfo? lastSnapshot = null;
        long snapshotBytes = 0;
        for (int i = 0; i < snapshots.Count; i++)
        {
            string path = snapshots[i].Path;
            try
            {
                image = i == 0 ? newest!.GetAwaiter().GetResult() : SnapshotFile.Read(path, lazy: true);
                var file = new FileInfo(path);
                snapshotBytes = file.Length;
                lastSnapshot = new SnapshotInfo(image.Zxid, new DateTimeOffset(file.LastWriteTimeUtc).ToUnixTimeMilliseconds());
                break;
            }
            catch (InvalidDataException e)
            {
                // The older snapshot and the log from it are kept for exactly this.
                logger.LogError("{Message}; trying an older snapshot", e.Message);
                early = null;
            }
        }
        if (image is null && snapshots.Count > 0)
        {
            throw new InvalidDataException($"{dataDir}: no snapshot can be read");
        }
        image ??= SnapshotImage.Empty;
        if (earlyError is not null && image.FromSeq == snapshots[0].FromSeq)
        {
            image.Indexed?.Dispose();
            throw earlyError;
        }
        LogTail read;
        try
        {
            read = early is not null && image.FromSeq == snapshots[0].FromSeq ? early : ReadTail(dataDir, image.FromSeq, logger);
        }
        catch
        {
            image.Indexed?.Dispose();
            throw;
        }
        var (tail, nextSeq) = (read.Records, read.NextSeq);
        long epoch = Math.Max(image.Epoch, read.Epoch);
        long lastTxnZxid = Math.Max(image.Zxid, read.LastTxnZxid);
        var log = RecordLog.Create(dataDir, nextSeq);
        return new DurableStore(dataDir, minLogBytes, logger, log, image, tail, epoch, snapshotBytes, lastTxnZxid) { LastSnapshot = lastSnapshot };
    }

    private sealed record LogTail(List<StoreRecord> Records, long NextSeq, long Epoch, long LastTxnZxid);

    /// <summary>The log from record <paramref name="fromSeq"/> on, decoded (a torn last record cut off, other damage an error).</summary>
    private static LogTail ReadTail(string dataDir, long fromSeq, ILogger logger)
    {
        var logFiles = RecordLog.Files(dataDir);
        if (logFiles.Count > 0 && logFiles[0].FirstSeq > fromSeq)
        {
            throw new InvalidDataException($"{logFiles[0].Path}: the log starts at record {logFiles[0].FirstSeq}, after the snapshot's {fromSeq}: log files are missing");
        }
        var tail = new List<StoreRecord>();
        long nextSeq = fromSeq;
        long epoch = 0;
        long lastTxnZxid = 0;
        foreach (var (seq, payload) in RecordLog.Read(dataDir, fromSeq, cut => logger.LogWarning("{Cut}", cut)))
        {
            var record = StoreRecords.Decode(payload);
            if (record is EpochRecord e)
            {
                epoch = Math.Max(epoch, e.Epoch);
            }
            if (record is CommitRecord commit)
            {
                lastTxnZxid = Math.Max(lastTxnZxid, commit.Requests.Max(r => (long?)r.Pending.Zxid) ?? 0);
            }
            tail.Add(record);
            nextSeq = seq + 1;
        }
        return new LogTail(tail, nextSeq, epoch, lastTxnZxid);
    }

    /// <summary>Drops the recovered state once the storages hold it (it can be large), and closes a lazily read snapshot.</summary>
    public void ForgetRecovered()
    {
        Recovered.Indexed?.Dispose();
        Recovered = new SnapshotImage(Recovered.FromSeq, Recovered.Epoch, Recovered.Zxid, [], [], []);
        RecoveredTail = [];
    }

    /// <summary>
    /// Where snapshots copy the state from. <paramref name="systemNodes"/> and <paramref name="sessions"/>
    /// run under <see cref="WriteLock"/>; <paramref name="userAppliedZxid"/> tells when the user storage has
    /// caught up with the log; <paramref name="systemNode"/> and <paramref name="userHas"/> look one node up
    /// now (a snapshot writes each node's user row and system state in one entry).
    /// </summary>
    internal void AttachSources(Func<IReadOnlyList<SystemNode>> systemNodes, Func<IReadOnlyList<SessionRecord>> sessions, Func<IEnumerable<UserRow>> userNodes,
        Func<long> userAppliedZxid, Func<string, SystemNode?> systemNode, Func<string, bool> userHas)
    {
        _systemNodes = systemNodes;
        _sessions = sessions;
        _userNodes = userNodes;
        _userAppliedZxid = userAppliedZxid;
        _systemNode = systemNode;
        _userHas = userHas;
    }

    /// <summary>
    /// Appends a record durably (fsync). The caller holds <see cref="WriteLock"/> and applies the
    /// record to memory before releasing it. May start a background snapshot.
    /// </summary>
    internal void Append(StoreRecord record)
    {
        StoreRecords.Encode(_encoded, record);
        try
        {
            _log.Append(_encoded.WrittenSpan);
        }
        catch (StorageUnavailableException e)
        {
            LogRefusal(e);
            throw;
        }
        _logBytesSinceRoll += _encoded.WrittenCount + 16;
        Volatile.Write(ref _lastAppendMs, Environment.TickCount64);
        if (record is CommitRecord commit)
        {
            foreach (var request in commit.Requests)
            {
                _lastLoggedTxnZxid = Math.Max(_lastLoggedTxnZxid, request.Pending.Zxid);
            }
        }
        if (record is EpochRecord epoch)
        {
            Epoch = epoch.Epoch;
        }
        // One snapshot at a time: a new one starts only once the last has finished (checked under WriteLock).
        if (_logBytesSinceRoll >= Math.Max(_minLogBytes, _lastSnapshotBytes) && _snapshot.IsCompleted && _systemNodes is not null && !_disposed)
        {
            _snapshot = Task.Run(() => TakeSnapshotAsync(CancellationToken.None));
        }
    }

    /// <summary>
    /// A snapshot once the writes have paused for <see cref="IdleSnapshotMs"/>, when the log since the
    /// last one is at least an eighth of its size (and the configured minimum). Recovery replays the
    /// log after the last snapshot: after a burst (a million setData on a million znodes) that tail
    /// took 7.5 s to read and replay, while the size rule alone waits for as much log as the snapshot
    /// (issue 14's recovery row). A quiet moment costs nothing to write in; a server that never pauses
    /// keeps the size rule.
    /// </summary>
    private void SnapshotIfIdle()
    {
        if (_disposed || !_snapshot.IsCompleted || _systemNodes is null || Volatile.Read(ref _refusingUntilRestart) != 0
            || Environment.TickCount64 - Volatile.Read(ref _lastAppendMs) < IdleSnapshotMs || !IdleTailWorthASnapshot)
        {
            return;
        }
        // Never wait for the lock on the timer's thread: a writer holding it is not idle.
        if (!WriteLock.Wait(0))
        {
            return;
        }
        try
        {
            if (!_disposed && _snapshot.IsCompleted && IdleTailWorthASnapshot)
            {
                _snapshot = Task.Run(() => TakeSnapshotAsync(CancellationToken.None));
            }
        }
        finally
        {
            WriteLock.Release();
        }
    }

    private bool IdleTailWorthASnapshot =>
        Volatile.Read(ref _logBytesSinceRoll) >= Math.Max(_minLogBytes, _lastSnapshotBytes / IdleSnapshotFraction);

    /// <summary>Says in the log why a write was refused: every time for a failed write, once for a failed fsync (every write after it is refused too).</summary>
    private void LogRefusal(StorageUnavailableException e)
    {
        if (!e.UntilRestart)
        {
            _logger.LogError("{Message}: the batch's clients get ConnectionLoss, the next batch is tried again", e.Message);
        }
        else if (Interlocked.Exchange(ref _refusingUntilRestart, 1) == 0)
        {
            _logger.LogCritical("{Message}: acknowledged writes are safe on disk up to the previous record; restart the server to recover from the log", e.Message);
        }
    }

    /// <summary>Records a start-up's epoch durably.</summary>
    public async Task AppendEpochAsync(long epoch)
    {
        await WriteLock.WaitAsync().ConfigureAwait(false);
        try
        {
            Append(new EpochRecord(epoch));
        }
        finally
        {
            WriteLock.Release();
        }
    }

    private async Task TakeSnapshotAsync(CancellationToken cancellationToken)
    {
        try
        {
            long fromSeq, waitFor, epoch;
            IReadOnlyList<SystemNode> systemNodes;
            IReadOnlyList<SessionRecord> sessions;
            await WriteLock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                if (_disposed)
                {
                    return;
                }
                _log.Roll();
                fromSeq = _log.FileFirstSeq;
                _logBytesSinceRoll = 0;
                waitFor = _lastLoggedTxnZxid;
                epoch = Epoch;
                systemNodes = _systemNodes!();
                sessions = _sessions!();
            }
            finally
            {
                WriteLock.Release();
            }
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            while (_userAppliedZxid!() < waitFor)
            {
                if (_disposed)
                {
                    return;
                }
                if (DateTime.UtcNow > deadline)
                {
                    _logger.LogWarning("Snapshot at record {Seq} abandoned: user storage did not apply zxid 0x{Zxid:x} within 60 s", fromSeq, waitFor);
                    return;
                }
                await Task.Delay(5, cancellationToken).ConfigureAwait(false);
            }
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            var (path, bytes) = SnapshotFile.Write(_dir, fromSeq, epoch, waitFor, sessions, Nodes(_userNodes!(), systemNodes));
            _lastSnapshotBytes = bytes;
            LastSnapshot = new SnapshotInfo(waitFor, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
            _logger.LogInformation("Snapshot {Path}: {Bytes} bytes, {Nodes} nodes, in {Ms:0} ms", path, bytes, systemNodes.Count,
                System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            DeleteOlderThanPrevious();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The log still holds everything: a failed snapshot costs disk space, not data.
            _logger.LogError(e, "Snapshot failed; the log keeps growing until one succeeds");
        }
    }

    /// <summary>
    /// Each user row with its node's system state as it is now, then the system nodes that have no
    /// user row now. Both are fuzzy like the rest of the snapshot: what changes meanwhile is written
    /// again by the log after the snapshot's start.
    /// </summary>
    private IEnumerable<SnapshotNode> Nodes(IEnumerable<UserRow> users, IReadOnlyList<SystemNode> systemNodes)
    {
        foreach (var row in users)
        {
            yield return new SnapshotNode(row.Path, row, _systemNode!(row.Path));
        }
        foreach (var node in systemNodes)
        {
            if (!_userHas!(node.Path))
            {
                yield return new SnapshotNode(node.Path, null, node);
            }
        }
    }

    /// <summary>
    /// The online backup (<see cref="BackupBundle"/>): the newest snapshot and the log after it up to a
    /// cut taken under the write lock, so the copy is the state after exactly the records before the
    /// cut, every one of them durable; writes go on meanwhile. The files copied are kept from deletion
    /// until the copy is done.
    /// </summary>
    public async Task<BackupSummary> WriteBackupAsync(Stream destination, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(destination);
        string? snapshotPath;
        long fromSeq;
        lock (_retention)
        {
            _backupsUnderWay++;
            var snapshots = SnapshotFile.Files(_dir);
            (fromSeq, snapshotPath) = snapshots.Count > 0 ? (snapshots[0].FromSeq, snapshots[0].Path) : (0L, null);
        }
        try
        {
            long toSeq, lastZxid;
            await WriteLock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                toSeq = _log.NextSeq;
                lastZxid = _lastLoggedTxnZxid;
            }
            finally
            {
                WriteLock.Release();
            }
            long bytes = await BackupBundle.WriteAsync(destination, _dir, snapshotPath, fromSeq, toSeq, lastZxid, cancellationToken).ConfigureAwait(false);
            _logger.LogInformation("Backup written: records {From} to {To}, last zxid 0x{Zxid:x}, {Bytes} bytes", fromSeq, toSeq - 1, lastZxid, bytes);
            return new BackupSummary(lastZxid, bytes);
        }
        finally
        {
            lock (_retention)
            {
                _backupsUnderWay--;
            }
        }
    }

    /// <summary>
    /// Keeps the newest two snapshots and the log from the older of them; deletes the rest, unless a
    /// backup is copying (the next snapshot deletes them instead).
    /// </summary>
    private void DeleteOlderThanPrevious()
    {
        lock (_retention)
        {
            if (_backupsUnderWay == 0)
            {
                DeleteOlderThanPreviousNow();
            }
        }
    }

    private void DeleteOlderThanPreviousNow()
    {
        var snapshots = SnapshotFile.Files(_dir);
        if (snapshots.Count < 2)
        {
            return;
        }
        long keepFrom = snapshots[1].FromSeq;
        foreach (var (_, path) in snapshots.Skip(2))
        {
            File.Delete(path);
        }
        var logs = RecordLog.Files(_dir);
        for (int i = 0; i + 1 < logs.Count; i++)
        {
            // File i holds records up to the next file's first: all before keepFrom, it is not needed.
            if (logs[i + 1].FirstSeq <= keepFrom)
            {
                File.Delete(logs[i].Path);
            }
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _idleSnapshots.Dispose();
        WriteLock.Wait();
        try
        {
            _disposed = true;
            _log.Dispose();
            Recovered.Indexed?.Dispose();
        }
        finally
        {
            WriteLock.Release();
        }
        // A snapshot being written finishes (or its temporary file stays behind, ignored).
        _snapshot.Wait(TimeSpan.FromSeconds(30));
    }
}
