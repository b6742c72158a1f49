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
    public async Task A_database_of_an_earlier_build_is_imported_with_its_pending_rows()
    {
        // Earlier builds kept everything in one SQLite database; the oldest ones also left "pending"
        // rows: transactions committed but not yet written to user rows. Start-up imports it all once
        // (pending rows applied), renames the database, and later restarts start from the import.
        string dir = Path.Combine(Path.GetTempPath(), "zkgw-legacy-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var root = new Stat(0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 7L << 32 | 1);
            var old = new Stat(7L << 32 | 1, 7L << 32 | 1, 1, 1, 0, 0, 0, 0, 1, 0, 7L << 32 | 1);
            var setLater = old with { Mzxid = 7L << 32 | 2, Version = 1, DataLength = 2 };
            var session = new Primitives.SessionRecord(0x1234, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16], 20000);
            var pending = new Primitives.Txn(7L << 32 | 2, 0, session.SessionId, null, new WriteResult(ErrorCode.Ok, 7L << 32 | 2),
                [new Primitives.NodeChange(Primitives.NodeChangeKind.Put, "/old", setLater, [2, 2])], []);
            string file = Path.Combine(dir, "zkgateway.db");
            using (var db = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={file};Pooling=False"))
            {
                db.Open();
                using var command = db.CreateCommand();
                command.CommandText = """
                    CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
                    CREATE TABLE system_nodes (path TEXT PRIMARY KEY, stat BLOB NOT NULL, acl BLOB NOT NULL);
                    CREATE TABLE sessions (id INTEGER PRIMARY KEY, password BLOB NOT NULL, timeout INTEGER NOT NULL);
                    CREATE TABLE pending (zxid INTEGER PRIMARY KEY, txn BLOB NOT NULL);
                    CREATE TABLE user_nodes (path TEXT PRIMARY KEY, data BLOB NOT NULL, stat BLOB NOT NULL, acl BLOB NOT NULL);
                    INSERT INTO meta VALUES ('epoch', 7);
                    INSERT INTO system_nodes VALUES ('/', $root, $acl), ('/old', $setLater, $acl);
                    INSERT INTO user_nodes VALUES ('/', x'', $root, $acl), ('/old', x'01', $old, $acl);
                    INSERT INTO sessions VALUES ($id, $password, 20000);
                    INSERT INTO pending VALUES ($zxid, $txn);
                    """;
                command.Parameters.AddWithValue("$root", Codecs.StorageCodec.EncodeStat(root));
                command.Parameters.AddWithValue("$old", Codecs.StorageCodec.EncodeStat(old));
                command.Parameters.AddWithValue("$setLater", Codecs.StorageCodec.EncodeStat(setLater));
                command.Parameters.AddWithValue("$acl", Codecs.StorageCodec.EncodeAcl(Acl.OpenAclUnsafe));
                command.Parameters.AddWithValue("$id", session.SessionId);
                command.Parameters.AddWithValue("$password", session.Password);
                command.Parameters.AddWithValue("$zxid", pending.Zxid);
                command.Parameters.AddWithValue("$txn", Codecs.StorageCodec.EncodeTxn(pending));
                command.ExecuteNonQuery();
            }

            await using (var zk = await EmbeddedBackend.StartAsync(dataDir: dir))
            {
                var read = (await zk.Backend.GetDataAsync("/old", null)).Value!;
                Assert.Equal([2, 2], read.Data);
                Assert.Equal(setLater, read.Stat);
                Assert.True(await zk.Backend.GetLastZxidAsync() >= 8L << 32, "the epoch goes on from the database's");
                Assert.True(await zk.Backend.TryResumeSessionAsync(session.SessionId, session.Password, 20000));
                Assert.False(File.Exists(file));
                Assert.True(File.Exists(file + ".migrated"));

                long id = await zk.NewSessionAsync();
                await zk.CreateAsync(id, "/old/new", "n");
                await zk.RestartAsync();
                Assert.Equal([2, 2], (await zk.Backend.GetDataAsync("/old", null)).Value!.Data);
                Assert.Equal("n"u8.ToArray(), (await zk.Backend.GetDataAsync("/old/new", null)).Value!.Data);
                Assert.True(await zk.Backend.GetLastZxidAsync() >= 9L << 32);
            }
        }
        finally
        {
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
            }
        }
    }
}
