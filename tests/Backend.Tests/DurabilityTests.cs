using ZkGateway.Backend.Embedded;
using ZkGateway.Backend;
using ZkGateway.Jute.Data;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.Backend.Tests;

/// <summary>Restarts on the same data directory: state, sessions and zxid monotonicity survive.</summary>
public sealed class DurabilityTests
{
    [Fact]
    public async Task Restart_keeps_nodes_sessions_and_grows_zxid()
    {
        await using var zk = await EmbeddedBackend.StartAsync();
        var grant = await zk.Backend.CreateSessionAsync(30000);
        await zk.CreateAsync(grant.SessionId, "/keep", "data");
        await zk.CreateAsync(grant.SessionId, "/keep/eph", mode: CreateMode.Ephemeral);
        await zk.CreateAsync(grant.SessionId, "/keep/seq-", mode: CreateMode.PersistentSequential);
        var set = await zk.Backend.SubmitAsync(grant.SessionId, new SetDataOperation("/keep", [9, 9], 0));
        long before = await zk.Backend.GetLastZxidAsync();

        await zk.RestartAsync();

        Assert.True(await zk.Backend.GetLastZxidAsync() > before);
        var data = await zk.Backend.GetDataAsync("/keep", null);
        Assert.Equal([9, 9], data.Value!.Data);
        Assert.Equal(set.Result!.Stat, data.Value.Stat);
        Assert.Equal(["eph", "seq-0000000001"], (await zk.Backend.GetChildrenAsync("/keep", null)).Value!.Children.Order(StringComparer.Ordinal));
        // The session lives on (its lease restarts) and can be resumed with its password.
        Assert.True(await zk.Backend.TryResumeSessionAsync(grant.SessionId, grant.Password, 30000));
        Assert.False(await zk.Backend.TryResumeSessionAsync(grant.SessionId, new byte[16], 30000));
        var next = await zk.CreateAsync(grant.SessionId, "/keep/seq-", mode: CreateMode.PersistentSequential);
        Assert.Equal("/keep/seq-0000000002", next.Result!.Path);
        Assert.True(next.Zxid > before);
    }

    [Fact]
    public async Task Session_expiry_deletes_ephemerals_through_the_write_path()
    {
        await using var zk = await EmbeddedBackend.StartAsync(tickTime: 100);
        // Long enough that the lease cannot lapse while a loaded CI machine is still setting up
        // (300 ms did, once), short enough to keep the test quick.
        long session = await zk.NewSessionAsync(timeoutMs: 1500);
        Assert.Equal(ErrorCode.Ok, (await zk.CreateAsync(session, "/lease", mode: CreateMode.Ephemeral)).Result!.Error);
        Assert.Equal(ErrorCode.Ok, (await zk.Backend.ExistsAsync("/lease", 5)).Error);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (zk.Backend.IsSessionLive(session) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }
        Assert.False(zk.Backend.IsSessionLive(session));
        while (zk.Sink.ClosedSessions.IsEmpty && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }
        Assert.Equal(ErrorCode.NoNode, (await zk.Backend.ExistsAsync("/lease", null)).Error);
        Assert.Contains(zk.Sink.Drain(), e => e.Watcher == 5 && e.Event.Type == EventType.NodeDeleted && e.Event.Zxid > 0);
    }

    [Fact]
    public async Task Null_data_stays_null_and_apart_from_empty_data_across_a_restart()
    {
        // ZooKeeper 3.8.0 keeps a create or setData sent with a -1 buffer as null (its snapshot too),
        // and getData answers it with a -1 buffer; dataLength is 0 either way.
        await using var zk = await EmbeddedBackend.StartAsync();
        long session = await zk.NewSessionAsync();
        Assert.Equal(ErrorCode.Ok, (await zk.Backend.SubmitAsync(session, new CreateOperation("/null", null, Acl.OpenAclUnsafe, CreateMode.Persistent))).Result!.Error);
        await zk.CreateAsync(session, "/empty");
        await zk.CreateAsync(session, "/set", "x");
        Assert.Equal(ErrorCode.Ok, (await zk.Backend.SubmitAsync(session, new SetDataOperation("/set", null, -1))).Result!.Error);
        await zk.CreateAsync(session, "/null/child");

        async Task CheckAsync()
        {
            foreach (string path in new[] { "/null", "/set" })
            {
                var read = await zk.Backend.GetDataAsync(path, null);
                Assert.Null(read.Value!.Data);
                Assert.Equal(0, read.Value.Stat.DataLength);
            }
            Assert.Equal(Array.Empty<byte>(), (await zk.Backend.GetDataAsync("/empty", null)).Value!.Data);
        }

        await CheckAsync();
        await zk.RestartAsync();
        await CheckAsync();
    }

    [Fact]
    public async Task Pending_rows_of_an_older_build_are_applied_and_written_as_user_rows_at_start_up()
    {
        // An older build committed a transaction as a pending row and was killed before writing its
        // user rows. Start-up applies it, writes its rows and drops the pending row, so a second restart
        // (with nothing pending) still shows it.
        string dir = Path.Combine(Path.GetTempPath(), "zkgw-pending-" + Guid.NewGuid().ToString("N"));
        var options = new BackendOptions { DataDir = dir };
        try
        {
            Stat created;
            long session;
            await using (var zk = await EmbeddedDeployment.StartAsync(options, new RecordingSink()))
            {
                session = (await zk.CreateSessionAsync(30000)).SessionId;
                await zk.SubmitAsync(session, new CreateOperation("/old", [1], Acl.OpenAclUnsafe, CreateMode.Persistent));
                created = (await zk.GetDataAsync("/old", null)).Value!.Stat;
            }

            long zxid = created.Mzxid + 10;
            var stat = created with { Mzxid = zxid, Version = 1, DataLength = 1 };
            using (var db = Embedded.SqliteDatabase.Open(dir))
            {
                var legacy = new Embedded.EmbeddedSystemStorage(db, TimeProvider.System);
                var txn = new Primitives.Txn(zxid, 0, session, null, new WriteResult(ErrorCode.Ok, zxid), [new Primitives.NodeChange(Primitives.NodeChangeKind.Put, "/old", stat, [2])], []);
                await legacy.CommitAsync([new Primitives.CommitRequest(Primitives.LockToken.New(), [], [], null, 0, txn)]);
                Assert.Equal(1L, CountPending(db));
            }

            await using (var zk = await EmbeddedDeployment.StartAsync(options, new RecordingSink()))
            {
                Assert.Equal([2], (await zk.GetDataAsync("/old", null)).Value!.Data);
            }
            using (var db = Embedded.SqliteDatabase.Open(dir))
            {
                Assert.Equal(0L, CountPending(db));
            }
            await using (var zk = await EmbeddedDeployment.StartAsync(options, new RecordingSink()))
            {
                var read = (await zk.GetDataAsync("/old", null)).Value!;
                Assert.Equal([2], read.Data);
                Assert.Equal(stat, read.Stat);
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }

        static long CountPending(Embedded.SqliteDatabase db)
        {
            using var command = db.System.CreateCommand();
            command.CommandText = "SELECT COUNT(*) FROM pending";
            return (long)command.ExecuteScalar()!;
        }
    }

    [Fact]
    public void A_database_from_before_null_data_is_migrated_with_its_rows()
    {
        string dir = Path.Combine(Path.GetTempPath(), "zkgw-migrate-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            string file = Path.Combine(dir, Embedded.SqliteDatabase.FileName);
            using (var old = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={file};Pooling=False"))
            {
                old.Open();
                Embedded.SqliteDatabase.Execute(old, """
                    CREATE TABLE user_nodes (path TEXT PRIMARY KEY, data BLOB NOT NULL, stat BLOB NOT NULL, acl BLOB NOT NULL);
                    INSERT INTO user_nodes VALUES ('/kept', x'0102', x'03', x'04');
                    """);
            }

            using var db = Embedded.SqliteDatabase.Open(dir);
            using var command = db.System.CreateCommand();
            command.CommandText = "SELECT \"notnull\" FROM pragma_table_info('user_nodes') WHERE name = 'data'";
            Assert.Equal(0L, command.ExecuteScalar());
            command.CommandText = "SELECT data FROM user_nodes WHERE path = '/kept'";
            Assert.Equal(new byte[] { 1, 2 }, command.ExecuteScalar());
            command.CommandText = "INSERT INTO user_nodes VALUES ('/null', NULL, x'03', x'04')";
            command.ExecuteNonQuery();
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
