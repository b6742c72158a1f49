using System.Buffers.Binary;
using ZkGateway.Compat.Infrastructure;
using static ZkGateway.Compat.Infrastructure.Scenario;
using ZkGateway.Jute;
using ZkGateway.Jute.Data;
using ZkGateway.Jute.Proto;
using ZkGateway.Jute.Protocol;
using ZkGateway.Testing;

namespace ZkGateway.Compat.Protocol;

/// <summary>
/// Byte-level scenarios, written once and run against real ZooKeeper 3.8 and the gateway with the
/// same expectations: the handshake rules, error codes and check order, ordering of events and
/// replies, and where the server closes the connection.
/// </summary>
[Collection(CompatCollection.Name)]
public sealed class RawProtocolScenarios(CompatFixture targets)
{
    private static async Task<string> FourLetterWordAsync(IZkTarget server, string command) =>
        await Net.FourLetterAsync(server.Port, command, TimeSpan.FromSeconds(5)) ?? "";

    [Theory]
    [InlineData(TargetKind.ZooKeeper)]
    [InlineData(TargetKind.Gateway)]
    [InlineData(TargetKind.AwsGateway)]
    public async Task Handshake_mirrors_the_readOnly_field_and_clamps_the_timeout(TargetKind target)
    {
        await using (var modern = await targets.ConnectAsync(target, timeoutMs: 1000))
        {
            Assert.True(modern.Handshake.HasReadOnly);
            Assert.Equal(false, modern.Handshake.ReadOnly);
            Assert.Equal(4000, modern.Handshake.TimeOut); // 2 × tickTime
            Assert.Equal(16, modern.Password.Length);
            Assert.NotEqual(0, modern.SessionId);
        }
        await using (var old = await targets.ConnectAsync(target, timeoutMs: 100000, sendReadOnly: false))
        {
            Assert.False(old.Handshake.HasReadOnly);
            Assert.Equal(40000, old.Handshake.TimeOut); // 20 × tickTime
        }
    }

    [Theory]
    [InlineData(TargetKind.ZooKeeper)]
    [InlineData(TargetKind.Gateway)]
    [InlineData(TargetKind.AwsGateway)]
    public async Task Resume_with_a_wrong_password_or_unknown_session_gets_the_zeroed_response_then_close(TargetKind target)
    {
        long sessionId;
        await using (var first = await targets.ConnectAsync(target))
        {
            sessionId = first.SessionId;
        }
        foreach (var (id, password) in new[] { (sessionId, new byte[16]), (0x7123456789L, new byte[16]) })
        {
            var (tcp, response) = await RawZkClient.HandshakeAsync((await targets.GetAsync(target)).Port, 10000, id, password, 0, sendReadOnly: true);
            using (tcp)
            {
                Assert.NotNull(response);
                Assert.Equal(0, response.TimeOut);
                Assert.Equal(0, response.SessionId);
                Assert.Equal(new byte[16], response.Passwd);
                Assert.Null(await RawZkClient.ReadFrameAsync(tcp.GetStream()).WaitAsync(TimeSpan.FromSeconds(10)));
            }
        }
    }

    /// <summary>
    /// Issue 15 item 5: a ConnectRequest with a live session's id but a wrong (or empty) password is
    /// refused, and it also closes the connection the session is on (3.8.0 closes the old connection
    /// before it checks the password); the session itself survives and resumes with its password.
    /// </summary>
    [Theory]
    [InlineData(TargetKind.ZooKeeper, 16)]
    [InlineData(TargetKind.Gateway, 16)]
    [InlineData(TargetKind.ZooKeeper, 0)]
    [InlineData(TargetKind.Gateway, 0)]
    public async Task A_refused_takeover_closes_the_sessions_connection_but_not_the_session(TargetKind target, int passwordLength)
    {
        string path = Unique("takeover");
        int port = (await targets.GetAsync(target)).Port;
        var owner = await targets.ConnectAsync(target, timeoutMs: 30000);
        Assert.Equal(ErrorCode.Ok, (await owner.CreateAsync(path, mode: CreateMode.Ephemeral)).Error);

        var (tcp, response) = await RawZkClient.HandshakeAsync(port, 30000, owner.SessionId, new byte[passwordLength], 0, sendReadOnly: true);
        using (tcp)
        {
            Assert.NotNull(response);
            Assert.Equal(0, response.SessionId);
            Assert.Null(await RawZkClient.ReadFrameAsync(tcp.GetStream()).WaitAsync(TimeSpan.FromSeconds(10)));
        }
        await owner.Closed.WaitAsync(TimeSpan.FromSeconds(10));

        await using var resumed = await RawZkClient.ConnectAsync(port, 30000, owner.SessionId, owner.Password);
        Assert.Equal(owner.SessionId, resumed.SessionId);
        Assert.Equal(owner.SessionId, (await resumed.ExistsAsync(path)).Decode<ExistsResponse>().Stat.EphemeralOwner);
        Assert.Equal(ErrorCode.Ok, (await resumed.CloseSessionAsync()).Error);
        await owner.DisposeAsync();
    }

    [Theory]
    [InlineData(TargetKind.ZooKeeper)]
    [InlineData(TargetKind.Gateway)]
    [InlineData(TargetKind.AwsGateway)]
    public async Task A_client_that_has_seen_a_newer_zxid_is_refused_without_a_reply(TargetKind target)
    {
        var (tcp, response) = await RawZkClient.HandshakeAsync((await targets.GetAsync(target)).Port, 10000, 0, null, long.MaxValue / 2, sendReadOnly: true);
        using (tcp)
        {
            Assert.Null(response);
        }
    }

    [Theory]
    [InlineData(TargetKind.ZooKeeper)]
    [InlineData(TargetKind.Gateway)]
    [InlineData(TargetKind.AwsGateway)]
    public async Task Session_resumes_on_a_new_connection_and_keeps_its_ephemerals(TargetKind target)
    {
        string path = Unique("resume");
        long sessionId;
        byte[] password;
        await using (var first = await targets.ConnectAsync(target))
        {
            Assert.Equal(ErrorCode.Ok, (await first.CreateAsync(path, mode: CreateMode.Ephemeral)).Error);
            sessionId = first.SessionId;
            password = first.Password;
        }
        await using var second = await RawZkClient.ConnectAsync((await targets.GetAsync(target)).Port, 10000, sessionId, password);
        Assert.Equal(sessionId, second.SessionId);
        var exists = await second.ExistsAsync(path);
        Assert.Equal(ErrorCode.Ok, exists.Error);
        Assert.Equal(sessionId, exists.Decode<ExistsResponse>().Stat.EphemeralOwner);
        Assert.Equal(ErrorCode.Ok, (await second.CloseSessionAsync()).Error);
        await second.Closed.WaitAsync(TimeSpan.FromSeconds(10));
        await using var observer = await targets.ConnectAsync(target);
        Assert.Equal(ErrorCode.NoNode, (await observer.ExistsAsync(path)).Error);
    }

    [Theory]
    [InlineData(TargetKind.ZooKeeper)]
    [InlineData(TargetKind.Gateway)]
    [InlineData(TargetKind.AwsGateway)]
    public async Task An_expired_session_loses_its_ephemerals_watchers_are_told_and_it_cannot_resume(TargetKind target)
    {
        string path = Unique("expiring");
        await using var watcher = await targets.ConnectAsync(target);
        // 4000 ms is the minimum (2 × tickTime); this client never pings, so its session lapses.
        var doomed = await targets.ConnectAsync(target, timeoutMs: 4000);
        Assert.Equal(ErrorCode.Ok, (await doomed.CreateAsync(path, mode: CreateMode.Ephemeral)).Error);
        Assert.Equal(ErrorCode.Ok, (await watcher.ExistsAsync(path, watch: true)).Error);
        var started = DateTime.UtcNow;

        var deleted = await watcher.Events.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal((EventType.NodeDeleted, path), (deleted.Type, deleted.Path));
        Assert.True(DateTime.UtcNow - started >= TimeSpan.FromSeconds(3), "the session expired before its timeout");
        // The server closes the expired session's connection.
        await doomed.Closed.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(ErrorCode.NoNode, (await watcher.ExistsAsync(path)).Error);

        var (tcp, response) = await RawZkClient.HandshakeAsync((await targets.GetAsync(target)).Port, 4000, doomed.SessionId, doomed.Password, 0, sendReadOnly: true);
        using (tcp)
        {
            Assert.NotNull(response);
            Assert.Equal(0, response.TimeOut);
            Assert.Equal(0, response.SessionId);
        }
        await doomed.DisposeAsync();
    }

    [Theory]
    [InlineData(TargetKind.ZooKeeper)]
    [InlineData(TargetKind.Gateway)]
    [InlineData(TargetKind.AwsGateway)]
    public async Task Unknown_opcodes_get_unimplemented_with_zxid_minus_one_then_close(TargetKind target)
    {
        foreach (var op in new[] { (OpCode)999, (OpCode)0, (OpCode)50 })
        {
            await using var client = await targets.ConnectAsync(target);
            var reply = await client.SendAsync(op, null);
            Assert.Equal(ErrorCode.Unimplemented, reply.Error);
            Assert.Equal(-1, reply.Header.Zxid);
            await client.Closed.WaitAsync(TimeSpan.FromSeconds(10));
        }
    }

    [Theory]
    [InlineData(TargetKind.ZooKeeper)]
    [InlineData(TargetKind.Gateway)]
    [InlineData(TargetKind.AwsGateway)]
    public async Task A_malformed_body_gets_marshalling_error_and_the_connection_carries_on(TargetKind target)
    {
        await using var client = await targets.ConnectAsync(target);
        string path = Unique("marshal");
        var before = await client.CreateAsync(path);
        // getData whose path length says 100 bytes but only 3 follow.
        var header = new byte[8];
        BinaryPrimitives.WriteInt32BigEndian(header, 77);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), (int)OpCode.GetData);
        byte[] body = [0, 0, 0, 100, (byte)'/', (byte)'a', (byte)'b'];
        var frame = new byte[4 + header.Length + body.Length];
        BinaryPrimitives.WriteInt32BigEndian(frame, header.Length + body.Length);
        header.CopyTo(frame, 4);
        body.CopyTo(frame, 12);
        var expect = client.ExpectReply(77);
        await client.SendRawAsync(frame);
        var reply = await expect.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(ErrorCode.MarshallingError, reply.Error);
        Assert.Equal(before.Header.Zxid, reply.Header.Zxid); // no zxid is consumed
        Assert.Equal(ErrorCode.Ok, (await client.ExistsAsync(path)).Error);
    }

    [Theory]
    [InlineData(TargetKind.ZooKeeper)]
    [InlineData(TargetKind.Gateway)]
    [InlineData(TargetKind.AwsGateway)]
    public async Task Oversize_or_negative_frame_lengths_close_only_that_connection(TargetKind target)
    {
        await using var bystander = await targets.ConnectAsync(target);
        string path = Unique("bystander");
        Assert.Equal(ErrorCode.Ok, (await bystander.CreateAsync(path, [1, 2, 3])).Error);
        foreach (int length in new[] { JuteLimits.DefaultMaxBuffer + 1, int.MaxValue, -5 })
        {
            await using var client = await targets.ConnectAsync(target);
            var prefix = new byte[4];
            BinaryPrimitives.WriteInt32BigEndian(prefix, length);
            await client.SendRawAsync(prefix);
            await client.Closed.WaitAsync(TimeSpan.FromSeconds(10));
        }
        var data = await bystander.GetDataAsync(path);
        Assert.Equal(ErrorCode.Ok, data.Error);
        Assert.Equal([1, 2, 3], data.Decode<GetDataResponse>().Data);
    }

    [Theory]
    [InlineData(TargetKind.ZooKeeper)]
    [InlineData(TargetKind.Gateway)]
    [InlineData(TargetKind.AwsGateway)]
    public async Task Error_codes_and_check_order_match(TargetKind target)
    {
        await using var c = await targets.ConnectAsync(target);
        string root = Unique("errors");
        Assert.Equal(ErrorCode.Ok, (await c.CreateAsync(root)).Error);
        Assert.Equal(ErrorCode.NodeExists, (await c.CreateAsync(root)).Error);
        Assert.Equal(ErrorCode.NoNode, (await c.CreateAsync(root + "/missing/child")).Error);
        Assert.Equal(ErrorCode.NoNode, (await c.CreateAsync(root + "/missing/")).Error);
        Assert.Equal(ErrorCode.BadArguments, (await c.CreateAsync(root + "/")).Error);
        Assert.Equal(ErrorCode.BadArguments, (await c.CreateAsync(root + "/.")).Error);
        Assert.Equal(ErrorCode.BadArguments, (await c.CreateAsync("relative")).Error);
        Assert.Equal(ErrorCode.BadArguments, (await c.SendAsync(OpCode.Create, new CreateRequest(root + "/f", [], Acl.OpenAclUnsafe, (CreateMode)42))).Error);
        Assert.Equal(ErrorCode.InvalidAcl, (await c.SendAsync(OpCode.Create, new CreateRequest(root + "/a", [], [], CreateMode.Persistent))).Error);
        Assert.Equal(ErrorCode.Unimplemented, (await c.CreateAsync(root + "/ttl", mode: CreateMode.PersistentWithTtl)).Error);
        Assert.Equal(ErrorCode.NoAuth, (await c.CreateAsync("/zookeeper/config/x")).Error);
        Assert.Equal(ErrorCode.NoAuth, (await c.SetDataAsync("/zookeeper/config", [1])).Error);
        Assert.Equal(ErrorCode.Ok, (await c.CreateAsync(root + "/child")).Error);
        Assert.Equal(ErrorCode.BadVersion, (await c.DeleteAsync(root, 3)).Error);
        Assert.Equal(ErrorCode.NotEmpty, (await c.DeleteAsync(root, 0)).Error);
        Assert.Equal(ErrorCode.BadVersion, (await c.SetDataAsync(root, [1], 1)).Error);
        Assert.Equal(ErrorCode.NoNode, (await c.SetDataAsync(root + "/none", [1])).Error);
        Assert.Equal(ErrorCode.NoNode, (await c.GetDataAsync(root + "/none")).Error);
        Assert.Equal(ErrorCode.NoNode, (await c.GetChildrenAsync(root + "/none")).Error);
        Assert.Equal(ErrorCode.NoNode, (await c.DeleteAsync(root + "/none")).Error);
        foreach (string reserved in new[] { "/", "/zookeeper", "/zookeeper/quota", "/zookeeper/config" })
        {
            Assert.Equal(ErrorCode.BadArguments, (await c.DeleteAsync(reserved)).Error);
        }
        Assert.Equal(ErrorCode.Ok, (await c.CreateAsync(root + "/eph", mode: CreateMode.Ephemeral)).Error);
        Assert.Equal(ErrorCode.NoChildrenForEphemerals, (await c.CreateAsync(root + "/eph/x")).Error);
    }

    [Theory]
    [InlineData(TargetKind.ZooKeeper)]
    [InlineData(TargetKind.Gateway)]
    [InlineData(TargetKind.AwsGateway)]
    [InlineData(TargetKind.AwsGatewayKeyValue)]
    public async Task Null_data_is_kept_as_null_and_empty_data_as_empty(TargetKind target)
    {
        // A create or setData with a -1 buffer (Java's create(path, null, ...)): 3.8.0 keeps the data
        // null and getData answers a -1 buffer, where data set to an empty array answers a 0 buffer.
        await using var c = await targets.ConnectAsync(target);
        string root = Unique("nulldata");
        Assert.Equal(ErrorCode.Ok, (await c.SendAsync(OpCode.Create, new CreateRequest(root, null, Acl.OpenAclUnsafe, CreateMode.Persistent))).Error);
        Assert.Equal(ErrorCode.Ok, (await c.CreateAsync(root + "/empty")).Error);
        Assert.Equal(ErrorCode.Ok, (await c.SendAsync(OpCode.SetData, new SetDataRequest(root + "/empty", [], -1))).Error);

        var nullData = await c.GetDataAsync(root);
        Assert.Equal(-1, BinaryPrimitives.ReadInt32BigEndian(nullData.Body));
        Assert.Null(nullData.Decode<GetDataResponse>().Data);
        Assert.Equal(0, nullData.Decode<GetDataResponse>().Stat.DataLength);
        Assert.Equal(0, BinaryPrimitives.ReadInt32BigEndian((await c.GetDataAsync(root + "/empty")).Body));

        // A child's create changes the parent's Stat only; setData with null makes data null again.
        Assert.Equal(ErrorCode.Ok, (await c.SetDataAsync(root, [7])).Error);
        Assert.Equal(ErrorCode.Ok, (await c.SendAsync(OpCode.SetData, new SetDataRequest(root, null, -1))).Error);
        Assert.Null((await c.GetDataAsync(root)).Decode<GetDataResponse>().Data);
        Assert.Equal(Array.Empty<byte>(), (await c.GetDataAsync(root + "/empty")).Decode<GetDataResponse>().Data);
    }

    [Theory]
    [InlineData(TargetKind.ZooKeeper)]
    [InlineData(TargetKind.Gateway)]
    [InlineData(TargetKind.AwsGateway)]
    public async Task Stats_sequence_numbers_and_zxids_behave_alike(TargetKind target)
    {
        await using var c = await targets.ConnectAsync(target);
        string root = Unique("stats");
        var created = await c.SendAsync(OpCode.Create2, new CreateRequest(root, [1, 2], Acl.OpenAclUnsafe, CreateMode.Persistent));
        var stat = created.Decode<Create2Response>().Stat;
        Assert.Equal(created.Header.Zxid, stat.Czxid);
        Assert.Equal(stat.Czxid, stat.Mzxid);
        Assert.Equal(stat.Czxid, stat.Pzxid);
        Assert.Equal(2, stat.DataLength);

        var names = new List<string>();
        for (int i = 0; i < 3; i++)
        {
            names.Add((await c.CreateAsync(root + "/s-", mode: CreateMode.PersistentSequential)).Decode<CreateResponse>().Path!);
        }
        Assert.Equal([root + "/s-0000000000", root + "/s-0000000001", root + "/s-0000000002"], names);
        Assert.Equal(ErrorCode.Ok, (await c.DeleteAsync(root + "/s-0000000001")).Error);
        Assert.Equal(root + "/s-0000000003", (await c.CreateAsync(root + "/s-", mode: CreateMode.PersistentSequential)).Decode<CreateResponse>().Path);
        var parent = (await c.ExistsAsync(root)).Decode<ExistsResponse>().Stat;
        Assert.Equal(5, parent.Cversion);
        Assert.Equal(3, parent.NumChildren);

        // A failed write consumes a zxid; the next write gets the one after.
        var failed = await c.CreateAsync(root);
        Assert.Equal(ErrorCode.NodeExists, failed.Error);
        var set = await c.SetDataAsync(root, [9]);
        Assert.Equal(failed.Header.Zxid + 1, set.Header.Zxid);
        var setStat = set.Decode<SetDataResponse>().Stat;
        Assert.Equal(1, setStat.Version);
        Assert.Equal(set.Header.Zxid, setStat.Mzxid);

        var ping = await c.PingAsync();
        Assert.Equal(Xids.Ping, ping.Header.Xid);
        Assert.Equal(set.Header.Zxid, ping.Header.Zxid);
    }

    [Theory]
    [InlineData(TargetKind.ZooKeeper)]
    [InlineData(TargetKind.Gateway)]
    [InlineData(TargetKind.AwsGateway)]
    public async Task A_top_level_check_is_answered_only_when_it_fails(TargetKind target)
    {
        // 3.8.0 runs it as a transaction: a failing check gets its error, a passing one no reply at all
        // (FinalRequestProcessor cannot serialize it), and the connection carries on either way (issue 15's item 3).
        await using var c = await targets.ConnectAsync(target);
        Assert.Equal(ErrorCode.NoNode, (await c.SendAsync(OpCode.Check, new CheckVersionRequest(Unique("check-missing"), 0))).Error);
        Assert.Equal(ErrorCode.BadVersion, (await c.SendAsync(OpCode.Check, new CheckVersionRequest("/", 7))).Error);
        // check("/", -1) sent raw, no reply expected: an answer would come before the ping's and fail it.
        await c.SendRawAsync([0, 0, 0, 17, 0, 0, 0, 40, 0, 0, 0, (byte)OpCode.Check, 0, 0, 0, 1, (byte)'/', 255, 255, 255, 255]);
        Assert.Equal(ErrorCode.Ok, (await c.PingAsync()).Error);
        Assert.Equal(ErrorCode.Ok, (await c.ExistsAsync("/")).Error);
    }

    [Theory]
    [InlineData(TargetKind.ZooKeeper)]
    [InlineData(TargetKind.Gateway)]
    [InlineData(TargetKind.AwsGateway)]
    public async Task A_ping_with_an_ordinary_xid_is_answered_with_the_ping_xid(TargetKind target)
    {
        // 3.8.0's FinalRequestProcessor answers every ping with ClientCnxn.PING_XID (-2), whatever xid it
        // came with (issue 15's item 4). The next request's reply follows in order.
        await using var c = await targets.ConnectAsync(target);
        var pong = c.ExpectReply(Xids.Ping);
        await c.SendRawAsync([0, 0, 0, 8, 0, 0, 0, 11, 0, 0, 0, (byte)OpCode.Ping]);
        Assert.Equal(ErrorCode.Ok, (await pong.WaitAsync(TimeSpan.FromSeconds(30))).Header.Err);
        Assert.Equal(ErrorCode.Ok, (await c.ExistsAsync("/")).Error);
    }

    [Theory]
    [InlineData(TargetKind.ZooKeeper)]
    [InlineData(TargetKind.Gateway)]
    [InlineData(TargetKind.AwsGateway)]
    public async Task Multi_rolls_back_with_zookeeper_result_codes(TargetKind target)
    {
        await using var c = await targets.ConnectAsync(target);
        string root = Unique("multi");
        Assert.Equal(ErrorCode.Ok, (await c.CreateAsync(root)).Error);
        var failing = new MultiRequest(
        [
            new MultiOp(OpCode.Create, new CreateRequest(root + "/a", [], Acl.OpenAclUnsafe, CreateMode.Persistent)),
            new MultiOp(OpCode.Check, new CheckVersionRequest(root, 7)),
            new MultiOp(OpCode.SetData, new SetDataRequest(root, [1], -1)),
        ]);
        var reply = await c.SendAsync(OpCode.Multi, failing);
        Assert.Equal(ErrorCode.Ok, reply.Error);
        var results = reply.Decode<MultiResponse>().Results;
        Assert.Equal([OpCode.Error, OpCode.Error, OpCode.Error], results.Select(r => r.Type));
        Assert.Equal([ErrorCode.Ok, ErrorCode.BadVersion, ErrorCode.RuntimeInconsistency], results.Select(r => r.Err));
        Assert.Equal(ErrorCode.NoNode, (await c.ExistsAsync(root + "/a")).Error);

        var succeeding = new MultiRequest(
        [
            new MultiOp(OpCode.Create, new CreateRequest(root + "/a", [], Acl.OpenAclUnsafe, CreateMode.Persistent)),
            new MultiOp(OpCode.Create2, new CreateRequest(root + "/b", [], Acl.OpenAclUnsafe, CreateMode.Persistent)),
            new MultiOp(OpCode.CreateContainer, new CreateRequest(root + "/c", [], Acl.OpenAclUnsafe, CreateMode.Container)),
            new MultiOp(OpCode.Check, new CheckVersionRequest(root, 0)),
            new MultiOp(OpCode.SetData, new SetDataRequest(root, [1], -1)),
            new MultiOp(OpCode.Delete, new DeleteRequest(root + "/a", -1)),
        ]);
        var ok = await c.SendAsync(OpCode.Multi, succeeding);
        var okResults = ok.Decode<MultiResponse>().Results;
        // ZooKeeper 3.8 types a create's result by its mode: only containers (and TTL nodes) get create2.
        Assert.Equal([OpCode.Create, OpCode.Create, OpCode.Create2, OpCode.Check, OpCode.SetData, OpCode.Delete], okResults.Select(r => r.Type));
        Assert.All(okResults, r => Assert.Equal(ErrorCode.Ok, r.Err));
        Assert.Equal(ok.Header.Zxid, (await c.ExistsAsync(root + "/b")).Decode<ExistsResponse>().Stat.Czxid);

        var empty = await c.SendAsync(OpCode.Multi, new MultiRequest([]));
        Assert.Empty(empty.Decode<MultiResponse>().Results);
    }

    [Theory]
    [InlineData(TargetKind.ZooKeeper)]
    [InlineData(TargetKind.Gateway)]
    [InlineData(TargetKind.AwsGateway)]
    public async Task Watch_event_comes_after_the_reply_that_set_it_and_before_the_reply_of_the_change(TargetKind target)
    {
        await using var c = await targets.ConnectAsync(target);
        string path = Unique("order");
        Assert.Equal(ErrorCode.Ok, (await c.CreateAsync(path)).Error);
        await c.GetDataAsync(path, watch: true);
        await c.GetChildrenAsync(path, watch: true);
        await c.ExistsAsync(path + "/kid", watch: true);
        lock (c.Transcript)
        {
            c.Transcript.Clear();
        }
        var create = await c.CreateAsync(path + "/kid");
        var set = await c.SetDataAsync(path, [1]);
        var delete = await c.DeleteAsync(path + "/kid");
        string[] expected =
        [
            $"event:NodeCreated:{path}/kid",
            $"event:NodeChildrenChanged:{path}",
            $"reply:{create.Header.Xid}",
            $"event:NodeDataChanged:{path}",
            $"reply:{set.Header.Xid}",
            $"reply:{delete.Header.Xid}",
        ];
        lock (c.Transcript)
        {
            Assert.Equal(expected, c.Transcript);
        }
    }

    [Theory]
    [InlineData(TargetKind.ZooKeeper)]
    [InlineData(TargetKind.Gateway)]
    [InlineData(TargetKind.AwsGateway)]
    public async Task SetWatches_on_reconnect_fires_what_changed_since_relative_zxid_before_its_reply(TargetKind target)
    {
        string root = Unique("setwatches");
        await using var writer = await targets.ConnectAsync(target);
        await writer.CreateAsync(root);
        await writer.CreateAsync(root + "/changed");
        await writer.CreateAsync(root + "/stable");
        await writer.CreateAsync(root + "/gone");
        long relative = (await writer.PingAsync()).Header.Zxid;
        await writer.SetDataAsync(root + "/changed", [1]);
        await writer.DeleteAsync(root + "/gone");
        await writer.CreateAsync(root + "/appeared");

        await using var client = await targets.ConnectAsync(target);
        var request = new SetWatches(
            relative,
            [root + "/changed", root + "/stable", root + "/gone"],
            [root + "/appeared", root + "/absent"],
            [root + "/stable"]);
        var reply = await client.SendAsync(OpCode.SetWatches, request, xid: Xids.SetWatches);
        Assert.Equal(ErrorCode.Ok, reply.Error);
        lock (client.Transcript)
        {
            Assert.Equal($"reply:{Xids.SetWatches}", client.Transcript[^1]);
            Assert.Equal(
                new[] { $"event:NodeCreated:{root}/appeared", $"event:NodeDataChanged:{root}/changed", $"event:NodeDeleted:{root}/gone" },
                client.Transcript.Take(client.Transcript.Count - 1).Order(StringComparer.Ordinal));
        }

        // The rest were registered: they fire on the next change.
        await writer.CreateAsync(root + "/absent");
        await writer.SetDataAsync(root + "/stable", [2]);
        await writer.CreateAsync(root + "/stable/kid");
        await client.PingAsync();
        lock (client.Transcript)
        {
            Assert.Contains($"event:NodeCreated:{root}/absent", client.Transcript);
            Assert.Contains($"event:NodeDataChanged:{root}/stable", client.Transcript);
            Assert.Contains($"event:NodeChildrenChanged:{root}/stable", client.Transcript);
        }
    }

    [Theory]
    [InlineData(TargetKind.ZooKeeper)]
    [InlineData(TargetKind.Gateway)]
    [InlineData(TargetKind.AwsGateway)]
    public async Task Watches_fire_once_across_sessions(TargetKind target)
    {
        await using var watcher = await targets.ConnectAsync(target);
        await using var writer = await targets.ConnectAsync(target);
        string path = Unique("cross");
        Assert.Equal(ErrorCode.NoNode, (await watcher.ExistsAsync(path, watch: true)).Error);
        await writer.CreateAsync(path);
        var created = await watcher.Events.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal((EventType.NodeCreated, KeeperState.SyncConnected, path), (created.Type, created.State, created.Path));
        await watcher.GetDataAsync(path, watch: true);
        await writer.SetDataAsync(path, [1]);
        await writer.SetDataAsync(path, [2]);
        await writer.DeleteAsync(path);
        var changed = await watcher.Events.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(EventType.NodeDataChanged, changed.Type);
        // One-shot: the second set and the delete were not reported. A round trip flushes anything pending.
        await watcher.PingAsync();
        Assert.False(watcher.Events.Reader.TryRead(out _));
    }

    [Theory]
    [InlineData(TargetKind.ZooKeeper)]
    [InlineData(TargetKind.Gateway)]
    [InlineData(TargetKind.AwsGateway)]
    public async Task Four_letter_words_answer_in_zookeeper_form(TargetKind target)
    {
        var server = await targets.GetAsync(target);
        Assert.Equal("imok", await FourLetterWordAsync(server, "ruok"));
        string srvr = await FourLetterWordAsync(server, "srvr");
        Assert.StartsWith("Zookeeper version: ", srvr);
        Assert.Contains("Mode: standalone", srvr);
        Assert.Matches(@"Zxid: 0x[0-9a-f]+", srvr);
        Assert.Contains("zk_server_state\tstandalone", await FourLetterWordAsync(server, "mntr"));
        Assert.Equal("rw", await FourLetterWordAsync(server, "isro"));
    }
}
