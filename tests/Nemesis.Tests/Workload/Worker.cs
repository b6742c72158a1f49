using ZkGateway.Jute.Proto;
using ZkGateway.Jute.Protocol;
using ZkGateway.Nemesis.History;
using ZkGateway.Testing;

namespace ZkGateway.Nemesis.Workload;

/// <summary>
/// One client process of the workload: a session (resumed across connection losses, replaced when it
/// expires, each with an ephemeral node of its own) doing sync+read (with a watch), blind writes and
/// compare-and-sets on the version it last saw, each recorded with its invocation and completion. An
/// operation that gets no answer is recorded as unknown and the connection dropped, as a ZooKeeper
/// client's ConnectionLoss would. With several servers the worker starts on its own one and moves
/// to the next after each loss, as a ZooKeeper client walks its connect string.
/// </summary>
internal sealed class Worker(int process, IReadOnlyList<int> ports, IReadOnlyList<string> keys, string ephemeralParent, HistoryLog history, Random random, WorkloadRecords records)
{
    public const int SessionTimeoutMs = 4000;

    /// <summary>About two thirds of the session timeout, as ZooKeeper's client reads.</summary>
    private static readonly TimeSpan OpTimeout = TimeSpan.FromMilliseconds(SessionTimeoutMs * 2 / 3);

    private readonly Dictionary<string, int> _lastVersion = keys.ToDictionary(k => k, _ => 0);
    private WorkerConnection? _connection;
    private long _sessionId;
    private byte[]? _password;
    private long _lastZxid;
    private string? _ephemeral;
    private bool _ephemeralCreated;
    private int _written;
    private int _moves;

    /// <summary>Consecutive connection losses: the worker waits longer before each retry, as clients back off.</summary>
    private int _losses;

    public async Task RunAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            if (!await EnsureConnectedAsync(stop).ConfigureAwait(false))
            {
                continue;
            }
            string key = keys[random.Next(keys.Count)];
            int dice = random.Next(100);
            if (dice < 40)
            {
                await ReadAsync(key).ConfigureAwait(false);
            }
            else if (dice < 50)
            {
                await SetDataAsync(key, -1).ConfigureAwait(false);
            }
            else if (dice < 92)
            {
                await SetDataAsync(key, _lastVersion[key]).ConfigureAwait(false);
            }
            else
            {
                await ProbeOwnEphemeralAsync().ConfigureAwait(false);
            }
        }
        if (_connection is { } last)
        {
            try
            {
                await last.SendAsync(OpCode.CloseSession, null, OpTimeout, out _).ConfigureAwait(false);
            }
            catch (Exception e) when (IsConnectionLoss(e))
            {
                // Its ephemeral goes when the session expires instead.
            }
            await DropConnectionAsync().ConfigureAwait(false);
        }
    }

    private async Task<bool> EnsureConnectedAsync(CancellationToken stop)
    {
        if (_connection is { IsClosed: false })
        {
            return true;
        }
        await DropConnectionAsync().ConfigureAwait(false);
        try
        {
            var connection = await WorkerConnection.ConnectAsync(ports[(process + _moves) % ports.Count], process, SessionTimeoutMs, _sessionId, _password, _lastZxid, OpTimeout).ConfigureAwait(false);
            if (connection is null)
            {
                // The server refused to resume: the session expired, and its ephemeral must be gone.
                long expired = _sessionId;
                string? expiredEphemeral = _ephemeralCreated ? _ephemeral : null;
                _sessionId = 0;
                _password = null;
                _ephemeral = null;
                _ephemeralCreated = false;
                records.Expired(process, expired);
                if (await EnsureConnectedAsync(stop).ConfigureAwait(false) && expiredEphemeral is not null)
                {
                    await ProbeEphemeralAsync(expired, expiredEphemeral, onOwnSession: false).ConfigureAwait(false);
                }
                return _connection is not null;
            }
            _connection = connection;
            records.Add(connection.Record);
            if (_sessionId != connection.SessionId)
            {
                _sessionId = connection.SessionId;
                _password = connection.Password;
                _ephemeral = $"{ephemeralParent}/{_sessionId:x16}";
                _ephemeralCreated = false;
            }
            if (!_ephemeralCreated)
            {
                await CreateEphemeralAsync().ConfigureAwait(false);
            }
            return _connection is not null;
        }
        catch (Exception e) when (IsConnectionLoss(e))
        {
            _moves++;
            await Task.Delay(50 + random.Next(100), CancellationToken.None).ConfigureAwait(false);
            return false;
        }
    }

    private async Task CreateEphemeralAsync()
    {
        var connection = _connection!;
        try
        {
            var reply = await connection.SendAsync(OpCode.Create, new CreateRequest(_ephemeral!, [], ZkGateway.Jute.Data.Acl.OpenAclUnsafe, CreateMode.Ephemeral), OpTimeout, out _).ConfigureAwait(false);
            // NodeExists: an earlier attempt whose answer was lost did create it.
            _ephemeralCreated = reply.Error is ErrorCode.Ok or ErrorCode.NodeExists;
        }
        catch (Exception e) when (IsConnectionLoss(e))
        {
            await DropConnectionAsync().ConfigureAwait(false);
        }
    }

    private async Task ReadAsync(string key)
    {
        var connection = _connection!;
        try
        {
            long invoked = HistoryLog.Now();
            var sync = await connection.SendAsync(OpCode.Sync, new SyncRequest(key), OpTimeout, out _).ConfigureAwait(false);
            if (sync.Error != ErrorCode.Ok)
            {
                return;
            }
            var reply = await connection.SendAsync(OpCode.GetData, new GetDataRequest(key, true), OpTimeout, out int xid).ConfigureAwait(false);
            long completed = HistoryLog.Now();
            if (reply.Error != ErrorCode.Ok)
            {
                return;
            }
            _losses = 0;
            var data = reply.Decode<GetDataResponse>();
            string value = System.Text.Encoding.UTF8.GetString(data.Data ?? []);
            _lastVersion[key] = data.Stat.Version;
            lock (connection.Record.Reads)
            {
                connection.Record.Reads.Add(new ReadRecord(xid, key, data.Stat.Version, Watched: true));
            }
            history.Add(new Operation(history.NextId(), process, key, OpKind.Read, Outcome.Ok, invoked, completed, value, -1, data.Stat.Version));
        }
        catch (Exception e) when (IsConnectionLoss(e))
        {
            // A read that got no answer changed nothing: it is left out of the history.
            await DropConnectionAsync().ConfigureAwait(false);
        }
    }

    private async Task SetDataAsync(string key, int expectedVersion)
    {
        var connection = _connection!;
        var kind = expectedVersion < 0 ? OpKind.Write : OpKind.Cas;
        string value = $"p{process}-{++_written}";
        int id = history.NextId();
        long invoked = HistoryLog.Now();
        try
        {
            var reply = await connection.SendAsync(OpCode.SetData, new SetDataRequest(key, System.Text.Encoding.UTF8.GetBytes(value), expectedVersion), OpTimeout, out _).ConfigureAwait(false);
            long completed = HistoryLog.Now();
            _losses = 0;
            switch (reply.Error)
            {
                case ErrorCode.Ok:
                    int version = reply.Decode<SetDataResponse>().Stat.Version;
                    _lastVersion[key] = version;
                    history.Add(new Operation(id, process, key, kind, Outcome.Ok, invoked, completed, value, expectedVersion, version));
                    break;
                case ErrorCode.BadVersion when kind == OpKind.Cas:
                    history.Add(new Operation(id, process, key, kind, Outcome.Failed, invoked, completed, value, expectedVersion, -1));
                    break;
                default:
                    // An error ZooKeeper gives for a request it did not apply (SessionExpired, ...) is
                    // still kept as unknown: the weaker claim, never a wrong one.
                    records.Unexpected(process, $"setData {key}: {reply.Error}");
                    history.Add(new Operation(id, process, key, kind, Outcome.Unknown, invoked, null, value, expectedVersion, -1));
                    break;
            }
        }
        catch (Exception e) when (IsConnectionLoss(e))
        {
            history.Add(new Operation(id, process, key, kind, Outcome.Unknown, invoked, null, value, expectedVersion, -1));
            await DropConnectionAsync().ConfigureAwait(false);
        }
    }

    private Task ProbeOwnEphemeralAsync() =>
        _ephemeralCreated ? ProbeEphemeralAsync(_sessionId, _ephemeral!, onOwnSession: true) : Task.CompletedTask;

    private async Task ProbeEphemeralAsync(long owner, string path, bool onOwnSession)
    {
        var connection = _connection!;
        try
        {
            if (!onOwnSession)
            {
                // The expiry happened before the refusal; sync so this read is not behind it.
                await connection.SendAsync(OpCode.Sync, new SyncRequest(path), OpTimeout, out _).ConfigureAwait(false);
            }
            var reply = await connection.SendAsync(OpCode.Exists, new ExistsRequest(path, false), OpTimeout, out _).ConfigureAwait(false);
            if (reply.Error is ErrorCode.Ok or ErrorCode.NoNode)
            {
                long ownerInStat = reply.Error == ErrorCode.Ok ? reply.Decode<ExistsResponse>().Stat.EphemeralOwner : 0;
                records.Add(new EphemeralObservation(process, owner, path, onOwnSession, reply.Error == ErrorCode.Ok, ownerInStat));
            }
        }
        catch (Exception e) when (IsConnectionLoss(e))
        {
            await DropConnectionAsync().ConfigureAwait(false);
        }
    }

    private async Task DropConnectionAsync()
    {
        if (_connection is { } connection)
        {
            _lastZxid = Math.Max(_lastZxid, connection.LastZxid);
            _connection = null;
            _moves++;
            await connection.DisposeAsync().ConfigureAwait(false);
            // Each loss is an operation of unknown outcome at most; backing off keeps them few, which
            // keeps the linearizability search small (its cost grows with the unknown ones open at once).
            _losses++;
            await Task.Delay(Math.Min(1000, 50 << Math.Min(_losses, 5)) + random.Next(50)).ConfigureAwait(false);
        }
    }

    private static bool IsConnectionLoss(Exception e) =>
        e is IOException or TimeoutException or InvalidDataException or ObjectDisposedException or System.Net.Sockets.SocketException;
}
