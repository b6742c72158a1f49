using System.Collections.Concurrent;
using Microsoft.Extensions.Logging.Abstractions;
using ZkGateway.Backend;
using ZkGateway.Backend.Aws;
using ZkGateway.Backend.Functions;
using ZkGateway.Backend.InProcess;
using ZkGateway.Backend.Primitives;
using ZkGateway.Jute.Data;
using ZkGateway.Jute.Protocol;
using Xunit.Abstractions;
using ZkGateway.Testing;

namespace ZkGateway.Aws.Tests;

/// <summary>
/// The gateway write path's pieces on DynamoDB Local: the write head's conditional reservation, the
/// batch's binary form, and two writers (two gateways' worth) writing at once through one head.
/// </summary>
public sealed class GatewayWritePathTests(ITestOutputHelper output)
{
    [Fact]
    public async Task The_head_reserves_each_batch_number_once()
    {
        await using var d = await EmulatorDeployment.CreateAsync("head");
        var head = new WriteHead(d.Clients.DynamoDb, d.Settings.CountersTable);
        Assert.Equal(HeadState.Empty, await head.ReadAsync(default));

        var first = new HeadState(1, 5, "gw-a", "batch-1", [1, 2, 3]);
        Assert.True(await head.TryReserveAsync(0, first, default));
        Assert.False(await head.TryReserveAsync(0, first with { Writer = "gw-b", BatchId = "batch-1b" }, default));
        Assert.False(await head.TryReserveAsync(2, new HeadState(3, 9, "gw-b", "batch-3", []), default));
        Assert.True(await head.TryReserveAsync(1, new HeadState(2, 7, "gw-b", "batch-2", [4]), default));

        var now = await head.ReadAsync(default);
        Assert.Equal((2L, 7L, "gw-b", "batch-2"), (now.Seq, now.LastZxid, now.Writer, now.BatchId));
        Assert.Equal(new byte[] { 4 }, now.Batch);
    }

    [Fact]
    public async Task The_head_names_the_batches_before_it_so_a_lost_answer_can_be_told_after_others_reserved_past()
    {
        await using var d = await EmulatorDeployment.CreateAsync("history");
        var head = new WriteHead(d.Clients.DynamoDb, d.Settings.CountersTable);
        var ids = Enumerable.Range(1, 12).Select(i => Guid.NewGuid().ToString("N")).ToList();
        var known = HeadState.Empty;
        foreach (string id in ids)
        {
            var next = known.Next(known.LastZxid + 1, "gw-a", id, [1]);
            Assert.True(await head.TryReserveAsync(known.Seq, next, default));
            known = await head.ReadAsync(default);
        }

        Assert.Equal(12, known.Seq);
        Assert.True(known.Holds(12, ids[11]));
        Assert.True(known.Holds(4, ids[3]));                        // 8 back: remembered
        Assert.Null(known.Holds(3, ids[2]));                        // 9 back: too far to tell
        Assert.False(known.Holds(5, ids[3]));                       // another batch had number 5
        Assert.False(known.Holds(13, ids[11]));                     // not reserved yet
        Assert.False(known.Holds(12, Guid.NewGuid().ToString("N")));
        Assert.Equal(HeadState.PreviousKept, known.Previous!.Count);
    }

    [Fact]
    public void A_batch_reads_back_as_written()
    {
        var txn = new Txn(42, 1000, 7, new ReplyAddress("gw-a", 3), new WriteResult(ErrorCode.Ok, 42),
            [NodeChange.PutWithData("/a", new Stat(42, 42, 1000, 1000, 0, 0, 0, 7, 3, 0, 42), [1, 2, 3], Acl.OpenAclUnsafe),
             NodeChange.PutWithData("/big", new Stat(42, 42, 1000, 1000, 1, 0, 0, 0, 5000, 0, 40), null) with { DataRef = "nodes/big@000000000000002a" },
             NodeChange.PutWithData("/box", new Stat(42, 42, 1000, 1000, 0, 0, 0, 0, 0, 0, 42), []) with { KindMarker = NodeKinds.ContainerMarker }],
            [new WatchTrigger(EventType.NodeCreated, "/a")]);
        var entries = new[]
        {
            new HeadBatchEntry(txn, new SessionRecord(7, [9, 9], 4000), 0, [new EphemeralEdit(7, "/a", Added: true)]),
            new HeadBatchEntry(txn with { Zxid = 43, Changes = [] }, null, 7, [new EphemeralEdit(8, "/b", Added: false)]),
        };

        var decoded = HeadBatchCodec.Decode(HeadBatchCodec.Encode(entries));

        Assert.Equal(2, decoded.Count);
        Assert.Equal(7, decoded[0].CreatedSession!.SessionId);
        Assert.Equal(new byte[] { 9, 9 }, decoded[0].CreatedSession!.Password);
        Assert.Equal(4000, decoded[0].CreatedSession!.TimeoutMs);
        Assert.Equal([new EphemeralEdit(7, "/a", true)], decoded[0].Ephemerals);
        Assert.Equal(new byte[] { 1, 2, 3 }, decoded[0].Txn.Changes[0].Data);
        Assert.Null(decoded[0].Txn.Changes[1].Data);
        Assert.True(decoded[0].Txn.Changes[1].WritesData);
        Assert.Equal("nodes/big@000000000000002a", decoded[0].Txn.Changes[1].DataRef);
        Assert.Equal((0L, NodeKinds.ContainerMarker), (decoded[0].Txn.Changes[1].KindMarker, decoded[0].Txn.Changes[2].KindMarker));
        Assert.Equal((43L, 7L), (decoded[1].Txn.Zxid, decoded[1].ClosedSession));
        Assert.Equal([new EphemeralEdit(8, "/b", false)], decoded[1].Ephemerals);
        Assert.Empty(HeadBatchCodec.Decode([]));
    }

    /// <summary>
    /// Two writers, as two gateways would host them, each create 25 sequential nodes under one parent
    /// at the same time: their reservations collide all the time, and each collision makes the loser
    /// catch up and prepare again. Every create is answered once, the 50 names are distinct and
    /// consecutive, every zxid is used once, and the parent counts them all (no update lost).
    /// </summary>
    [Fact]
    public async Task Two_writers_on_one_head_lose_and_repeat_nothing()
    {
        await using var d = await EmulatorDeployment.CreateAsync("twohead");
        var settings = GatewayPath(d);
        var writers = new[] { await WriterAsync(d, settings, "gw-a"), await WriterAsync(d, settings, "gw-b") };
        try
        {
            var sessions = new long[] { 1001, 1002 };
            for (int w = 0; w < 2; w++)
            {
                Assert.Equal(ErrorCode.Ok, (await writers[w].SubmitAsync(0, new CreateSessionOperation(sessions[w], [1], 30000))).Error);
            }
            Assert.Equal(ErrorCode.Ok, (await writers[0].SubmitAsync(sessions[0], new CreateOperation("/seq", [], Acl.OpenAclUnsafe, CreateMode.Persistent))).Error);

            var creates = new List<Task<WriteResult>>();
            for (int i = 0; i < 25; i++)
            {
                for (int w = 0; w < 2; w++)
                {
                    creates.Add(writers[w].SubmitAsync(sessions[w], new CreateOperation("/seq/n-", [(byte)w], Acl.OpenAclUnsafe, CreateMode.PersistentSequential)));
                }
            }
            var results = await Task.WhenAll(creates).WaitAsync(TimeSpan.FromSeconds(120));

            Assert.All(results, r => Assert.Equal(ErrorCode.Ok, r.Error));
            var names = results.Select(r => r.Result!.Path!).Order(StringComparer.Ordinal).ToList();
            Assert.Equal(Enumerable.Range(0, 50).Select(i => $"/seq/n-{i:D10}"), names);
            Assert.Equal(50, results.Select(r => r.Zxid).Distinct().Count());

            var user = new DynamoUserStorage(d.Clients.DynamoDb, d.Clients.S3, settings.DataTable, settings.BucketName, settings.CountersTable);
            var parent = await user.ReadAsync("/seq", (n, _) => n);
            Assert.Equal(50, parent!.Children.Count);
            Assert.Equal(50, parent.Stat.NumChildren);
            // One reply per request: /seq and a session on the first writer, a session on the second, 25 creates each.
            Assert.Equal((27, 26), (writers[0].Replies.Count, writers[1].Replies.Count));
        }
        finally
        {
            foreach (var w in writers)
            {
                await w.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// Writer A's reservation is carried out with its answer lost, and before A can look at the head
    /// again writer B applies A's batch and reserves past it: A must find its batch in the head's
    /// history (<see cref="HeadState.Previous"/>), not prepare it again (a second node) nor delete its
    /// payload (which the applied node refers to).
    /// </summary>
    [Fact]
    public async Task A_reservation_whose_answer_was_lost_and_that_another_writer_passed_is_applied_once()
    {
        await using var d = await EmulatorDeployment.CreateAsync("passedhead");
        await using var dynamo = await FaultProxy.StartAsync(d.Settings.DynamoDbEndpoint!, CloudService.DynamoDb);
        var settings = GatewayPath(d);
        var a = await WriterAsync(d, settings with { DynamoDbEndpoint = dynamo.Endpoint }, "gw-a");
        var b = await WriterAsync(d, settings, "gw-b");
        try
        {
            Assert.Equal(ErrorCode.Ok, (await a.SubmitAsync(0, new CreateSessionOperation(4001, [1], 30000))).Error);
            Assert.Equal(ErrorCode.Ok, (await b.SubmitAsync(0, new CreateSessionOperation(4002, [1], 30000))).Error);
            Assert.Equal(ErrorCode.Ok, (await a.SubmitAsync(4001, new CreateOperation("/seq", [], Acl.OpenAclUnsafe, CreateMode.Persistent))).Error);

            int stage = 0;   // 0: the next reservation of A is lost; 1: A's calls wait for B
            var passed = new TaskCompletionSource();
            dynamo.Plan = call =>
            {
                if (call.Operation == "UpdateItem" && Interlocked.CompareExchange(ref stage, 1, 0) == 0)
                {
                    return ProxyFault.DropAfterForward;
                }
                if (Volatile.Read(ref stage) == 1)
                {
                    passed.Task.Wait(TimeSpan.FromSeconds(60));
                }
                return ProxyFault.None;
            };
            // 3 KB: the payload goes to S3 before the reservation, so B can apply A's batch without A.
            var fromA = a.SubmitAsync(4001, new CreateOperation("/seq/n-", new byte[3000], Acl.OpenAclUnsafe, CreateMode.PersistentSequential));
            for (int i = 0; i < 600 && Volatile.Read(ref stage) == 0; i++)
            {
                await Task.Delay(50);
            }
            Assert.Equal(1, Volatile.Read(ref stage));
            var fromB = await b.SubmitAsync(4002, new CreateOperation("/seq/n-", [2], Acl.OpenAclUnsafe, CreateMode.PersistentSequential)).WaitAsync(TimeSpan.FromSeconds(60));
            passed.SetResult();
            var resultA = await fromA.WaitAsync(TimeSpan.FromSeconds(60));

            Assert.Equal((ErrorCode.Ok, ErrorCode.Ok), (resultA.Error, fromB.Error));
            Assert.Equal(["/seq/n-0000000000", "/seq/n-0000000001"], new[] { resultA.Result!.Path!, fromB.Result!.Path! });
            var user = new DynamoUserStorage(d.Clients.DynamoDb, d.Clients.S3, settings.DataTable, settings.BucketName, settings.CountersTable);
            var parent = await user.ReadAsync("/seq", (n, _) => n);
            Assert.Equal(["n-0000000000", "n-0000000001"], parent!.Children.Order(StringComparer.Ordinal));
            Assert.Equal(3000, (await user.ReadAsync("/seq/n-0000000000", (n, _) => n))!.Data!.Length);
            Assert.Equal(1, a.Replies.Count(r => r.Result?.Path == "/seq/n-0000000000"));
        }
        finally
        {
            dynamo.Plan = static _ => ProxyFault.None;
            await a.DisposeAsync();
            await b.DisposeAsync();
        }
    }

    /// <summary>
    /// The same two writers with every DynamoDB and S3 call of theirs through a fault proxy: about one
    /// call in five is throttled, fails with 500 or 503, is reset before it arrives, or is carried out
    /// and its answer lost (the caller cannot tell which); a quarter of the head's reservations are
    /// carried out with the answer lost, some of them with the SDK's retries throttled after that. The SDK's retries, the head's conditions
    /// and the writer's catch-up must still give each create one answer and apply it once: the names
    /// answered Ok are distinct and all in the tree, the tree holds no name nobody was answered for,
    /// and the parent's count agrees with its children.
    /// </summary>
    [Fact]
    public async Task Two_writers_lose_and_repeat_nothing_through_cloud_faults()
    {
        await using var d = await EmulatorDeployment.CreateAsync("faulthead");
        await using var dynamo = await FaultProxy.StartAsync(d.Settings.DynamoDbEndpoint!, CloudService.DynamoDb);
        await using var s3 = await FaultProxy.StartAsync(d.Settings.S3Endpoint!, CloudService.S3);
        var random = new Random(17);
        int throttleReservations = 0;
        bool reservationDropped = false;
        ProxyFault Pick(ProxiedCall call)
        {
            double x;
            lock (random)
            {
                x = random.NextDouble();
                // The head's reservation (UpdateItem) carried out and its answer lost, then its retries
                // throttled: the writer does not know whether its batch got in, and must find out.
                if (call.Operation == "UpdateItem")
                {
                    if (throttleReservations > 0)
                    {
                        throttleReservations--;
                        return ProxyFault.Throttle;
                    }
                    // The first one always: so the case is met in every run, whatever the interleaving.
                    if (x < 0.25 || !reservationDropped)
                    {
                        reservationDropped = true;
                        throttleReservations = x < 0.1 || dynamo.Count("UpdateItem", ProxyFault.Throttle) == 0 ? 3 : 0;
                        return ProxyFault.DropAfterForward;
                    }
                }
            }
            return x switch
            {
                < 0.06 => ProxyFault.Throttle,
                < 0.09 => ProxyFault.InternalError,
                < 0.11 => ProxyFault.Unavailable,
                < 0.13 => ProxyFault.DropBeforeForward,
                < 0.19 => ProxyFault.DropAfterForward,
                _ => ProxyFault.None,
            };
        }
        var settings = GatewayPath(d) with { DynamoDbEndpoint = dynamo.Endpoint, S3Endpoint = s3.Endpoint };
        var writers = new[] { await WriterAsync(d, settings, "gw-a"), await WriterAsync(d, settings, "gw-b") };
        try
        {
            var sessions = new long[] { 3001, 3002 };
            for (int w = 0; w < 2; w++)
            {
                Assert.Equal(ErrorCode.Ok, (await writers[w].SubmitAsync(0, new CreateSessionOperation(sessions[w], [1], 30000))).Error);
            }
            Assert.Equal(ErrorCode.Ok, (await writers[0].SubmitAsync(sessions[0], new CreateOperation("/seq", [], Acl.OpenAclUnsafe, CreateMode.Persistent))).Error);
            // Faults from here on: the set-up above is not what is tested.
            dynamo.Plan = Pick;
            s3.Plan = Pick;

            var creates = new List<Task<WriteResult>>();
            for (int i = 0; i < 25; i++)
            {
                for (int w = 0; w < 2; w++)
                {
                    // Every 5th carries 3 KiB, which the key-value store keeps in S3.
                    byte[] data = i % 5 == 0 ? new byte[3000] : [(byte)w];
                    creates.Add(writers[w].SubmitAsync(sessions[w], new CreateOperation("/seq/n-", data, Acl.OpenAclUnsafe, CreateMode.PersistentSequential)));
                }
            }
            var results = await Task.WhenAll(creates).WaitAsync(TimeSpan.FromSeconds(180));
            dynamo.Plan = static _ => ProxyFault.None;
            s3.Plan = static _ => ProxyFault.None;

            Assert.True(dynamo.Count("UpdateItem", ProxyFault.DropAfterForward) > 0, "no reservation was carried out with its answer lost");
            var ok = results.Where(r => r.Error == ErrorCode.Ok).ToList();
            output.WriteLine($"answers: {string.Join(", ", results.GroupBy(r => r.Error).Select(g => $"{g.Key} {g.Count()}"))}");
            output.WriteLine($"DynamoDB: {string.Join(", ", dynamo.Counts.OrderBy(c => c.Key).Select(c => $"{c.Key} {c.Value}"))}");
            output.WriteLine($"S3: {string.Join(", ", s3.Counts.OrderBy(c => c.Key).Select(c => $"{c.Key} {c.Value}"))}");
            var okNames = ok.Select(r => r.Result!.Path!).ToList();
            Assert.Equal(okNames.Count, okNames.Distinct().Count());
            Assert.Equal(ok.Count, ok.Select(r => r.Zxid).Distinct().Count());

            var user = new DynamoUserStorage(d.Clients.DynamoDb, d.Clients.S3, settings.DataTable, settings.BucketName, settings.CountersTable);
            var parent = await user.ReadAsync("/seq", (n, _) => n);
            var children = parent!.Children.Select(c => "/seq/" + c).ToHashSet();
            Assert.Equal(children.Count, parent.Stat.NumChildren);
            // Every answer reaches its writer here, so an error must mean the create did not happen.
            Assert.Equal(okNames.ToHashSet(), children);
            for (int k = 0; k < results.Length; k++)
            {
                if (results[k].Error == ErrorCode.Ok)
                {
                    var node = await user.ReadAsync(results[k].Result!.Path!, (n, _) => n);
                    Assert.Equal(k / 2 % 5 == 0 ? 3000 : 1, node!.Data!.Length);
                }
            }
        }
        finally
        {
            foreach (var w in writers)
            {
                await w.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// An interest registration's reservation (an empty batch) by a second writer: it finds the first
    /// writer's batch at the head with its node written, so it applies nothing of it again (no second
    /// reply), and moves the head; the first writer's next write catches up with it and goes on.
    /// </summary>
    [Fact]
    public async Task A_reservation_after_another_writers_applied_batch_repeats_none_of_it()
    {
        await using var d = await EmulatorDeployment.CreateAsync("reserveafter");
        var settings = GatewayPath(d);
        await using var a = await WriterAsync(d, settings, "gw-a");
        await using var b = await WriterAsync(d, settings, "gw-b");
        Assert.Equal(ErrorCode.Ok, (await a.SubmitAsync(0, new CreateSessionOperation(2001, [1], 30000))).Error);
        Assert.Equal(ErrorCode.Ok, (await a.SubmitAsync(2001, new CreateOperation("/r", [1], Acl.OpenAclUnsafe, CreateMode.Persistent))).Error);
        var head = new WriteHead(d.Clients.DynamoDb, settings.CountersTable);
        long before = (await head.ReadAsync(default)).Seq;

        await b.Writer.ReserveAfterAsync(default);

        var now = await head.ReadAsync(default);
        Assert.Equal((before + 1, "gw-b"), (now.Seq, now.Writer));
        Assert.Equal(0, b.Outbox.ForOthers);
        var set = await a.SubmitAsync(2001, new SetDataOperation("/r", [2], -1));
        Assert.Equal(ErrorCode.Ok, set.Error);
        Assert.Equal(now.LastZxid + 1, set.Zxid);
        Assert.Equal(1, set.Result!.Stat!.Value.Version);
    }

    /// <summary>The write-stamp test a writer uses on a batch found at the head: false before its apply, true after, and for a node written over since.</summary>
    [Fact]
    public async Task A_batch_is_told_applied_by_its_items_write_stamps()
    {
        await using var d = await EmulatorDeployment.CreateAsync("stamps");
        var store = new DynamoUserStorage(d.Clients.DynamoDb, d.Clients.S3, d.Settings.DataTable, d.Settings.BucketName, d.Settings.CountersTable) { RaisesAppliedMarker = false };
        var root = new Stat(9, 9, 1000, 1000, 0, 0, 0, 0, 0, 0, 9);
        var tree = new Txn(9, 1000, 7, null, new WriteResult(ErrorCode.Ok, 9), [NodeChange.PutWithData("/", root, [], Acl.OpenAclUnsafe)], []);
        var create = new Txn(10, 1000, 7, null, new WriteResult(ErrorCode.Ok, 10),
            [new NodeChange(NodeChangeKind.Put, "/", root with { Cversion = 1, NumChildren = 1, Pzxid = 10 }), NodeChange.PutWithData("/s", new Stat(10, 10, 1000, 1000, 0, 0, 0, 0, 1, 0, 10), [1], Acl.OpenAclUnsafe)], []);
        var set = new Txn(11, 1001, 7, null, new WriteResult(ErrorCode.Ok, 11),
            [NodeChange.PutWithData("/s", new Stat(10, 11, 1000, 1001, 1, 0, 0, 0, 1, 0, 10), [2])], []);

        await store.ApplyAsync([tree], _ => { });
        Assert.False(await store.IsAppliedAsync([create]));
        await store.ApplyAsync([create], _ => { });
        Assert.True(await store.IsAppliedAsync([create]));
        Assert.False(await store.IsAppliedAsync([set]));
        await store.ApplyAsync([set], _ => { });
        Assert.True(await store.IsAppliedAsync([set]));
        Assert.True(await store.IsAppliedAsync([create]));
        Assert.Equal(11, store.AppliedZxid);
        // No node, nothing to tell by: applied again (its writes are skipped).
        Assert.False(await store.IsAppliedAsync([set with { Zxid = 12, Changes = [] }]));
    }

    /// <summary>
    /// Which batches the head carries without their data: one request, no session change, one node's
    /// inline data and nothing else but its parent. Such a head, for a 1 kB setData, stays within one
    /// write unit (1 KB); its data comes back as the writer-only flag without data.
    /// </summary>
    [Fact]
    public void Only_a_single_small_write_leaves_its_data_out_of_the_head()
    {
        var stat = new Stat(40, 42, 1000, 1000, 1, 0, 0, 0, 1024, 0, 40);
        byte[] kilobyte = new byte[1024];
        Random.Shared.NextBytes(kilobyte);
        HeadBatchEntry Entry(params NodeChange[] changes) =>
            new(new Txn(42, 1000, 7, new ReplyAddress("gw-a", 3), new WriteResult(ErrorCode.Ok, 42), changes, [new WatchTrigger(EventType.NodeDataChanged, "/app/x")]), null, 0, []);
        var setData = Entry(NodeChange.PutWithData("/app/x", stat, kilobyte));
        var create = Entry(new NodeChange(NodeChangeKind.Put, "/app", stat with { Cversion = 3 }), NodeChange.PutWithData("/app/x", stat with { Czxid = 42 }, kilobyte, Acl.OpenAclUnsafe));

        foreach (var entry in new[] { setData, create })
        {
            var left = HeadSystemStorage.WithDataLeftOut([entry]);
            Assert.Single(left[0].Txn.Changes, c => c.DataWithWriterOnly);
            Assert.Equal(kilobyte, left[0].Txn.Changes.Single(c => c.DataWithWriterOnly).Data);
            byte[] encoded = HeadBatchCodec.Encode(left);
            Assert.True(encoded.Length < 600, $"the head's batch for one 1 kB write weighs {encoded.Length} bytes");
            var decoded = HeadBatchCodec.Decode(encoded).Single().Txn.Changes.Single(c => c.DataWithWriterOnly);
            Assert.Equal(("/app/x", true, (byte[]?)null), (decoded.Path, decoded.WritesData, decoded.Data));
            Assert.True(HeadBatchCodec.Encode([entry]).Length > 1024);
        }

        var notLeftOut = new[]
        {
            // Two requests; a session created; two nodes' data; another node than the parent; no data; data in S3.
            new[] { setData, setData with { Txn = setData.Txn with { Zxid = 43 } } },
            [setData with { CreatedSession = new SessionRecord(7, [1], 4000) }],
            [Entry(NodeChange.PutWithData("/app/x", stat, kilobyte), NodeChange.PutWithData("/app/y", stat, [1]))],
            [Entry(NodeChange.PutWithData("/app/x", stat, kilobyte), new NodeChange(NodeChangeKind.Delete, "/other", stat))],
            [Entry(NodeChange.PutWithData("/app/x", stat, []))],
            [Entry(NodeChange.PutWithData("/app/x", stat, null) with { DataRef = "nodes/app/x@000000000000002a" })],
        };
        foreach (var batch in notLeftOut)
        {
            Assert.Same(batch, HeadSystemStorage.WithDataLeftOut(batch));
        }
    }

    /// <summary>
    /// The writer-only node on storage: a helper's fence of an unwritten one aborts the batch (the
    /// writer's late write throws and changes nothing, also once newer batches wrote the node); a write
    /// made first is not fenced, a helper without the data leaves it alone and applies the rest, and the
    /// writer's own retry of a write that got in goes on.
    /// </summary>
    [Fact]
    public async Task A_writer_only_node_is_either_written_by_its_writer_or_fenced_by_a_helper()
    {
        await using var d = await EmulatorDeployment.CreateAsync("fence");
        var store = new DynamoUserStorage(d.Clients.DynamoDb, d.Clients.S3, d.Settings.DataTable, d.Settings.BucketName, d.Settings.CountersTable) { RaisesAppliedMarker = false };
        var root = new Stat(9, 9, 1000, 1000, 0, 0, 0, 0, 0, 0, 9);
        await store.ApplyAsync([new Txn(9, 1000, 7, null, new WriteResult(ErrorCode.Ok, 9), [NodeChange.PutWithData("/", root, [], Acl.OpenAclUnsafe)], [])], _ => { });
        Txn SetData(long zxid, int version, byte value) => new(zxid, 1000, 7, null, new WriteResult(ErrorCode.Ok, zxid),
            [NodeChange.PutWithData("/n", new Stat(10, zxid, 1000, 1000, version, 0, 0, 0, 1, 0, 10), [value]) with { DataWithWriterOnly = true }], []);
        var create = new Txn(10, 1000, 7, null, new WriteResult(ErrorCode.Ok, 10),
            [new NodeChange(NodeChangeKind.Put, "/", root with { Cversion = 1, NumChildren = 1, Pzxid = 10 }), NodeChange.PutWithData("/n", new Stat(10, 10, 1000, 1000, 0, 0, 0, 0, 1, 0, 10), [0], Acl.OpenAclUnsafe) with { DataWithWriterOnly = true }], []);
        Txn WithoutData(Txn txn) => txn with { Changes = [.. txn.Changes.Select(c => c.DataWithWriterOnly ? c with { Data = null, WritesData = true } : c)] };
        async Task<(string? Data, int Version, int Children)> ReadAsync()
        {
            var node = await store.ReadAsync("/n", (n, _) => n);
            return (node?.Data is { } data ? Convert.ToHexString(data) : null, node?.Stat.Version ?? -1, await store.ReadAsync("/", (r, _) => r!.Children.Count));
        }

        // An unwritten create fenced: no node, and the writer's create aborts.
        Assert.Equal(WriterOnlyWrite.NotYet, await store.ReadWriterOnlyAsync("/n", 10, default));
        Assert.True(await store.FenceUnwrittenAsync("/n", 10, default));
        Assert.Equal(WriterOnlyWrite.Fenced, await store.ReadWriterOnlyAsync("/n", 10, default));
        Assert.True(await store.FenceUnwrittenAsync("/n", 10, default));
        await Assert.ThrowsAsync<BatchAbortedException>(async () => await store.ApplyAsync([create], _ => { }));
        Assert.Equal(((string?)null, -1, 0), await ReadAsync());

        // Created again later and written by its writer first: not fenced; a helper applies the rest without it.
        var again = create with { Zxid = 11, Changes = [create.Changes[0] with { Stat = root with { Cversion = 1, NumChildren = 1, Pzxid = 11 } }, create.Changes[1] with { Stat = new Stat(11, 11, 1000, 1000, 0, 0, 0, 0, 1, 0, 11) }] };
        await store.ApplyAsync([again with { Changes = [again.Changes[1]] }], _ => { });
        Assert.Equal(WriterOnlyWrite.Made, await store.ReadWriterOnlyAsync("/n", 11, default));
        Assert.False(await store.FenceUnwrittenAsync("/n", 11, default));
        await store.ApplyAsync([WithoutData(again)], _ => { });
        Assert.Equal(("00", 0, 1), await ReadAsync());
        // The writer's own second attempt at the write that got in: no abort.
        await store.ApplyAsync([again], _ => { });

        // A setData fenced, then the node deleted and created again by newer batches (the fence is gone
        // from its item): the late writer still learns of the abort, from its record.
        Assert.True(await store.FenceUnwrittenAsync("/n", 12, default));
        var nodeStat = new Stat(11, 11, 1000, 1000, 0, 0, 0, 0, 1, 0, 11);
        await store.ApplyAsync([new Txn(13, 1000, 7, null, new WriteResult(ErrorCode.Ok, 13),
            [new NodeChange(NodeChangeKind.Delete, "/n", nodeStat), new NodeChange(NodeChangeKind.Put, "/", root with { Cversion = 2, Pzxid = 13 })], [])], _ => { });
        await store.ApplyAsync([new Txn(14, 1000, 7, null, new WriteResult(ErrorCode.Ok, 14),
            [new NodeChange(NodeChangeKind.Put, "/", root with { Cversion = 3, NumChildren = 1, Pzxid = 14 }), NodeChange.PutWithData("/n", new Stat(14, 14, 1000, 1000, 0, 0, 0, 0, 1, 0, 14), [14], Acl.OpenAclUnsafe)], [])], _ => { });
        await Assert.ThrowsAsync<BatchAbortedException>(async () => await store.ApplyAsync([SetData(12, 1, 12)], _ => { }));
        Assert.Equal(("0E", 0, 1), await ReadAsync());
    }

    /// <summary>
    /// The kind marker of container and TTL nodes on this path: kept in their items only (with the
    /// reap index's key), given back by the writer's system view, carried by a batch another writer
    /// applies, kept through changes, and gone with the node; the reaper finds a used, empty container
    /// through the index and its deleteContainer, through the writer, removes it.
    /// </summary>
    [Fact]
    public async Task The_reap_index_follows_creates_and_deletes_of_containers_and_ttl_nodes()
    {
        await using var d = await EmulatorDeployment.CreateAsync("reapidx");
        var settings = GatewayPath(d);
        await using var a = await WriterAsync(d, settings, "gw-a");
        await using var b = await WriterAsync(d, settings, "gw-b");
        var index = new DynamoReapIndex(d.Clients.DynamoDb, settings.DataTable);
        var system = new HeadSystemStorage(d.Clients.DynamoDb, settings, "reader", writer: false);
        async Task<string[]> ListedAsync() => [.. (await index.ListContainersAndTtlNodesAsync()).Order(StringComparer.Ordinal)];
        async Task<Dictionary<string, Amazon.DynamoDBv2.Model.AttributeValue>> ItemAsync(string path) =>
            (await d.Clients.DynamoDb.GetItemAsync(new Amazon.DynamoDBv2.Model.GetItemRequest
            {
                TableName = settings.DataTable,
                Key = new() { ["path"] = new Amazon.DynamoDBv2.Model.AttributeValue { S = path } },
                ConsistentRead = true,
            })).Item;

        Assert.Equal(ErrorCode.Ok, (await a.SubmitAsync(0, new CreateSessionOperation(3001, [1], 30000))).Error);
        Assert.Equal(ErrorCode.Ok, (await a.SubmitAsync(3001, new CreateOperation("/c", [1], Acl.OpenAclUnsafe, CreateMode.Container))).Error);
        Assert.Equal(ErrorCode.Ok, (await a.SubmitAsync(3001, new CreateOperation("/t", [], Acl.OpenAclUnsafe, CreateMode.PersistentWithTtl, Ttl: 3_600_000))).Error);
        Assert.Equal(ErrorCode.Ok, (await a.SubmitAsync(3001, new CreateOperation("/p", [1], Acl.OpenAclUnsafe, CreateMode.Persistent))).Error);
        // Created through the other writer: the batch carries the marker to its items.
        Assert.Equal(ErrorCode.Ok, (await b.SubmitAsync(3001, new CreateOperation("/c2", [], Acl.OpenAclUnsafe, CreateMode.Persistent, AsContainer: true))).Error);

        Assert.Equal(["/c", "/c2", "/t"], await ListedAsync());
        Assert.Equal(NodeKinds.ContainerMarker, (await system.GetNodeAsync("/c"))!.Stat.EphemeralOwner);
        Assert.Equal(NodeKinds.ContainerMarker, (await system.GetNodeAsync("/c2"))!.Stat.EphemeralOwner);
        Assert.Equal(3_600_000, NodeKinds.TtlOf((await system.GetNodeAsync("/t"))!.Stat.EphemeralOwner));
        Assert.Equal(0, (await system.GetNodeAsync("/p"))!.Stat.EphemeralOwner);
        // Clients still see ephemeralOwner 0; a persistent node's item has neither attribute.
        var store = new DynamoUserStorage(d.Clients.DynamoDb, d.Clients.S3, settings.DataTable, settings.BucketName, settings.CountersTable);
        Assert.Equal(0, (await store.ReadAsync("/c", (n, _) => n))!.Stat.EphemeralOwner);
        var plain = await ItemAsync("/p");
        Assert.False(plain.ContainsKey(DynamoUserStorage.KindMarkerAttr) || plain.ContainsKey(DynamoReapIndex.Attribute));

        // A setData and a child's create and delete (the container's stat changes) keep it listed.
        Assert.Equal(ErrorCode.Ok, (await a.SubmitAsync(3001, new SetDataOperation("/c", [2], -1))).Error);
        Assert.Equal(ErrorCode.Ok, (await b.SubmitAsync(3001, new CreateOperation("/c/kid", [], Acl.OpenAclUnsafe, CreateMode.Persistent))).Error);
        Assert.Equal(ErrorCode.Ok, (await b.SubmitAsync(3001, new DeleteOperation("/c/kid", -1))).Error);
        Assert.Equal(["/c", "/c2", "/t"], await ListedAsync());
        Assert.Equal(NodeKinds.ContainerMarker, (await system.GetNodeAsync("/c"))!.Stat.EphemeralOwner);

        // The reaper's pass: /c was used and is empty, /c2 never had a child, /t has not run out.
        var options = new BackendOptions { GatewayId = "gw-a", ExtendedTypesEnabled = true };
        var reaper = new ReaperFunction(system, index, (op, _) => a.SubmitAsync(0, op), TimeProvider.System, options);
        Assert.Equal(1, await reaper.CheckAsync(default));
        Assert.Null(await system.GetNodeAsync("/c"));
        Assert.Equal(["/c2", "/t"], await ListedAsync());

        // A delete takes the node out; one created again as a persistent node is not listed.
        Assert.Equal(ErrorCode.Ok, (await a.SubmitAsync(3001, new DeleteOperation("/t", -1))).Error);
        Assert.Equal(ErrorCode.Ok, (await b.SubmitAsync(3001, new MultiOperation([new DeleteOperation("/c2", -1), new CreateOperation("/c2", [], Acl.OpenAclUnsafe, CreateMode.Persistent)]))).Error);
        Assert.Empty(await ListedAsync());
        Assert.Equal(0, (await system.GetNodeAsync("/c2"))!.Stat.EphemeralOwner);
        var tombstone = await ItemAsync("/t");
        Assert.False(tombstone.ContainsKey(DynamoUserStorage.KindMarkerAttr) || tombstone.ContainsKey(DynamoReapIndex.Attribute));
    }

    /// <summary>The deployment's settings on the gateway write path (key-value storage).</summary>
    private static AwsSettings GatewayPath(EmulatorDeployment d) => d.Settings with { UserStorage = UserStorageMode.KeyValue, WritePath = WritePathMode.Gateway };

    private static async Task<HostedWriter> WriterAsync(EmulatorDeployment d, AwsSettings settings, string gatewayId)
    {
        // One set of clients for the writer and its store: through the fault proxies when the settings name them.
        var clients = new AwsClients(settings);
        var store = new DynamoUserStorage(clients.DynamoDb, clients.S3, settings.DataTable, settings.BucketName, settings.CountersTable) { RaisesAppliedMarker = false };
        var outbox = new CapturingOutbox(gatewayId);
        var options = new BackendOptions { GatewayId = gatewayId, ExtendedTypesEnabled = true };
        var writer = new GatewayWriter(clients, new HeadSystemStorage(clients.DynamoDb, settings, gatewayId, writer: true, blobs: store), store, store, outbox, options, TimeProvider.System, NullLogger.Instance);
        var queue = new ChannelQueue<WriteRequest>();
        return new HostedWriter(gatewayId, clients, queue, outbox, writer, writer.RunAsync(queue, CancellationToken.None));
    }

    /// <summary>One writer with its queue, answering through <see cref="CapturingOutbox"/>.</summary>
    private sealed class HostedWriter(string gatewayId, AwsClients clients, ChannelQueue<WriteRequest> queue, CapturingOutbox outbox, GatewayWriter writer, Task running) : IAsyncDisposable
    {
        private long _next;

        public GatewayWriter Writer => writer;

        public CapturingOutbox Outbox => outbox;

        public ConcurrentQueue<WriteResult> Replies => outbox.Replies;

        public async Task<WriteResult> SubmitAsync(long sessionId, WriteOperation operation)
        {
            long id = Interlocked.Increment(ref _next);
            var reply = outbox.Expect(id);
            await queue.SendAsync(new WriteRequest(sessionId, operation, new ReplyAddress(gatewayId, id)));
            return await reply;
        }

        public async ValueTask DisposeAsync()
        {
            queue.Complete();
            await running.WaitAsync(TimeSpan.FromSeconds(30));
            clients.Dispose();
        }
    }

    /// <summary>This writer's replies; those to the other writer's requests (a batch this one applied for it) are only counted.</summary>
    private sealed class CapturingOutbox(string gatewayId) : IGatewayOutbox
    {
        private readonly ConcurrentDictionary<long, TaskCompletionSource<WriteResult>> _waiting = new();

        public ConcurrentQueue<WriteResult> Replies { get; } = new();

        public int ForOthers;

        public Task<WriteResult> Expect(long requestId) =>
            _waiting.GetOrAdd(requestId, _ => new TaskCompletionSource<WriteResult>(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

        public void Triggers(Txn txn)
        {
        }

        public void Reply(ReplyAddress address, WriteResult result)
        {
            if (address.GatewayId != gatewayId)
            {
                Interlocked.Increment(ref ForOthers);
                return;
            }
            Replies.Enqueue(result);
            _waiting.GetOrAdd(address.RequestId, _ => new TaskCompletionSource<WriteResult>(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult(result);
        }

        public void SessionClosed(long sessionId, string? gatewayId)
        {
        }

        public ValueTask FlushAsync(CancellationToken cancellationToken = default) => ValueTask.CompletedTask;
    }
}
