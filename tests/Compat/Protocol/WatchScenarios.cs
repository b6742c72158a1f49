using ZkGateway.Compat.Infrastructure;
using static ZkGateway.Compat.Infrastructure.Scenario;
using ZkGateway.Jute;
using ZkGateway.Jute.Data;
using ZkGateway.Jute.Proto;
using ZkGateway.Jute.Protocol;
using ZkGateway.Testing;

namespace ZkGateway.Compat.Protocol;

/// <summary>
/// Byte-level scenarios for the watch operations (addWatch, checkWatches, removeWatches, setWatches2),
/// multiRead, sasl and reconfig, run against real ZooKeeper 3.8.0 and the gateway with the same
/// expectations. Several expectations pin 3.8.0 quirks (see docs/compatibility.md).
/// </summary>
[Collection(CompatCollection.Name)]
public sealed class WatchScenarios(CompatFixture targets)
{
    /// <summary>
    /// The events received so far, after a round trip on the watcher's own connection: the server
    /// queues events for a change before the writer's reply, so they precede this reply.
    /// </summary>
    private static async Task<List<string>> EventsAsync(RawZkClient watcher)
    {
        Assert.Equal(ErrorCode.Ok, (await watcher.ExistsAsync("/")).Error);
        var events = new List<string>();
        while (watcher.Events.Reader.TryRead(out var e))
        {
            Assert.Equal(KeeperState.SyncConnected, e.State);
            events.Add($"{e.Type} {e.Path}");
        }
        return events;
    }

    private static Task<RawReply> AddWatchAsync(RawZkClient client, string path, AddWatchMode mode) =>
        client.SendAsync(OpCode.AddWatch, new AddWatchRequest(path, mode));

    private static Task<RawReply> CheckAsync(RawZkClient client, string path, WatcherType type) =>
        client.SendAsync(OpCode.CheckWatches, new CheckWatchesRequest(path, type));

    private static Task<RawReply> RemoveAsync(RawZkClient client, string path, WatcherType type) =>
        client.SendAsync(OpCode.RemoveWatches, new RemoveWatchesRequest(path, type));

    [Theory]
    [InlineData(TargetKind.ZooKeeper)]
    [InlineData(TargetKind.Gateway)]
    [InlineData(TargetKind.AwsGateway)]
    public async Task Persistent_watch_fires_data_and_child_events_repeatedly_and_survives_delete(TargetKind target)
    {
        string p = Unique("persistent");
        await using var writer = await targets.ConnectAsync(target);
        await using var watcher = await targets.ConnectAsync(target);
        var added = await AddWatchAsync(watcher, p, AddWatchMode.Persistent);
        Assert.Equal(ErrorCode.Ok, added.Error);
        Assert.Equal(new byte[4], added.Body); // ErrorResponse{0}, required by the Java client; no NoNode check

        Assert.Equal(ErrorCode.Ok, (await writer.CreateAsync(p)).Error);
        Assert.Equal(ErrorCode.Ok, (await writer.SetDataAsync(p, [1])).Error);
        Assert.Equal(ErrorCode.Ok, (await writer.SetDataAsync(p, [2])).Error);
        Assert.Equal(ErrorCode.Ok, (await writer.CreateAsync(p + "/a")).Error);
        Assert.Equal(ErrorCode.Ok, (await writer.CreateAsync(p + "/a/deep")).Error);
        Assert.Equal(ErrorCode.Ok, (await writer.DeleteAsync(p + "/a/deep")).Error);
        Assert.Equal(ErrorCode.Ok, (await writer.DeleteAsync(p + "/a")).Error);
        Assert.Equal(ErrorCode.Ok, (await writer.DeleteAsync(p)).Error);
        Assert.Equal(ErrorCode.Ok, (await writer.CreateAsync(p)).Error);
        Assert.Equal(
            [$"NodeCreated {p}", $"NodeDataChanged {p}", $"NodeDataChanged {p}", $"NodeChildrenChanged {p}",
             $"NodeChildrenChanged {p}", $"NodeDeleted {p}", $"NodeCreated {p}"],
            await EventsAsync(watcher));
    }

    [Theory]
    [InlineData(TargetKind.ZooKeeper)]
    [InlineData(TargetKind.Gateway)]
    [InlineData(TargetKind.AwsGateway)]
    public async Task Recursive_watch_covers_descendants_without_children_events(TargetKind target)
    {
        string p = Unique("recursive");
        await using var writer = await targets.ConnectAsync(target);
        await using var watcher = await targets.ConnectAsync(target);
        Assert.Equal(ErrorCode.Ok, (await writer.CreateAsync(p)).Error);
        var added = await AddWatchAsync(watcher, p, AddWatchMode.PersistentRecursive);
        Assert.Equal((ErrorCode.Ok, 4), (added.Error, added.Body.Length));
        // A persistent watch on a descendant too: still one frame per path per trigger.
        Assert.Equal(ErrorCode.Ok, (await AddWatchAsync(watcher, p + "/a", AddWatchMode.Persistent)).Error);

        Assert.Equal(ErrorCode.Ok, (await writer.CreateAsync(p + "/a")).Error);
        Assert.Equal(ErrorCode.Ok, (await writer.CreateAsync(p + "/a/b")).Error);
        Assert.Equal(ErrorCode.Ok, (await writer.SetDataAsync(p + "/a/b", [1])).Error);
        Assert.Equal(ErrorCode.Ok, (await writer.DeleteAsync(p + "/a/b")).Error);
        Assert.Equal(ErrorCode.Ok, (await writer.SetDataAsync(p, [1])).Error);
        Assert.Equal(ErrorCode.Ok, (await writer.DeleteAsync(p + "/a")).Error);
        Assert.Equal(
            [$"NodeCreated {p}/a", $"NodeCreated {p}/a/b", $"NodeChildrenChanged {p}/a", $"NodeDataChanged {p}/a/b",
             $"NodeDeleted {p}/a/b", $"NodeChildrenChanged {p}/a", $"NodeDataChanged {p}", $"NodeDeleted {p}/a"],
            await EventsAsync(watcher));
    }

    [Theory]
    [InlineData(TargetKind.ZooKeeper)]
    [InlineData(TargetKind.Gateway)]
    [InlineData(TargetKind.AwsGateway)]
    public async Task A_one_shot_watch_on_the_same_path_turns_a_persistent_watch_one_shot(TargetKind target)
    {
        // 3.8.0 keeps one mode per connection, path and table: getData(watch) replaces the persistent
        // mode of the data table; the child table keeps it.
        string p = Unique("mode-reset");
        await using var writer = await targets.ConnectAsync(target);
        await using var watcher = await targets.ConnectAsync(target);
        Assert.Equal(ErrorCode.Ok, (await writer.CreateAsync(p)).Error);
        Assert.Equal(ErrorCode.Ok, (await AddWatchAsync(watcher, p, AddWatchMode.Persistent)).Error);
        Assert.Equal(ErrorCode.Ok, (await watcher.GetDataAsync(p, watch: true)).Error);
        Assert.Equal(ErrorCode.Ok, (await writer.SetDataAsync(p, [1])).Error);
        Assert.Equal(ErrorCode.Ok, (await writer.SetDataAsync(p, [2])).Error);
        Assert.Equal(ErrorCode.Ok, (await writer.CreateAsync(p + "/a")).Error);
        Assert.Equal(ErrorCode.Ok, (await writer.CreateAsync(p + "/b")).Error);
        Assert.Equal([$"NodeDataChanged {p}", $"NodeChildrenChanged {p}", $"NodeChildrenChanged {p}"], await EventsAsync(watcher));
    }

    [Theory]
    [InlineData(TargetKind.ZooKeeper)]
    [InlineData(TargetKind.Gateway)]
    [InlineData(TargetKind.AwsGateway)]
    public async Task CheckWatches_and_removeWatches_answer_as_3_8_0(TargetKind target)
    {
        string p = Unique("remove");
        await using var writer = await targets.ConnectAsync(target);
        await using var watcher = await targets.ConnectAsync(target);
        Assert.Equal(ErrorCode.Ok, (await writer.CreateAsync(p)).Error);
        foreach (var type in new[] { WatcherType.Children, WatcherType.Data, WatcherType.Any })
        {
            Assert.Equal(ErrorCode.NoWatcher, (await CheckAsync(watcher, p, type)).Error);
            Assert.Equal(ErrorCode.NoWatcher, (await RemoveAsync(watcher, p, type)).Error);
        }

        Assert.Equal(ErrorCode.Ok, (await AddWatchAsync(watcher, p, AddWatchMode.Persistent)).Error);
        foreach (var type in new[] { WatcherType.Children, WatcherType.Data, WatcherType.Any })
        {
            var check = await CheckAsync(watcher, p, type);
            Assert.Equal((ErrorCode.Ok, 0), (check.Error, check.Body.Length));
        }
        // The server knows only types 1-3: Persistent (4), PersistentRecursive (5) and others fail to decode.
        foreach (var type in new[] { WatcherType.Persistent, WatcherType.PersistentRecursive, (WatcherType)9 })
        {
            Assert.Equal(ErrorCode.MarshallingError, (await CheckAsync(watcher, p, type)).Error);
            Assert.Equal(ErrorCode.MarshallingError, (await RemoveAsync(watcher, p, type)).Error);
        }
        // checkWatches looks for any connection's watch on the path; removeWatches only for this one's.
        Assert.Equal(ErrorCode.Ok, (await CheckAsync(writer, p, WatcherType.Any)).Error);
        Assert.Equal(ErrorCode.NoWatcher, (await RemoveAsync(writer, p, WatcherType.Any)).Error);

        // Removing type Data takes the persistent watch out of the data table only.
        var removed = await RemoveAsync(watcher, p, WatcherType.Data);
        Assert.Equal((ErrorCode.Ok, 0), (removed.Error, removed.Body.Length));
        Assert.Equal(ErrorCode.NoWatcher, (await CheckAsync(watcher, p, WatcherType.Data)).Error);
        Assert.Equal(ErrorCode.Ok, (await CheckAsync(watcher, p, WatcherType.Children)).Error);
        Assert.Equal(ErrorCode.Ok, (await writer.SetDataAsync(p, [1])).Error);
        Assert.Equal(ErrorCode.Ok, (await writer.CreateAsync(p + "/a")).Error);
        Assert.Equal([$"NodeChildrenChanged {p}"], await EventsAsync(watcher));

        Assert.Equal(ErrorCode.Ok, (await RemoveAsync(watcher, p, WatcherType.Any)).Error);
        Assert.Equal(ErrorCode.NoWatcher, (await RemoveAsync(watcher, p, WatcherType.Any)).Error);
        Assert.Equal(ErrorCode.Ok, (await writer.CreateAsync(p + "/b")).Error);

        // One-shot watches are removed the same way.
        Assert.Equal(ErrorCode.Ok, (await watcher.GetDataAsync(p, watch: true)).Error);
        Assert.Equal(ErrorCode.Ok, (await watcher.GetChildrenAsync(p, watch: true)).Error);
        Assert.Equal(ErrorCode.Ok, (await RemoveAsync(watcher, p, WatcherType.Any)).Error);
        Assert.Equal(ErrorCode.Ok, (await writer.SetDataAsync(p, [2])).Error);
        Assert.Equal(ErrorCode.Ok, (await writer.DeleteAsync(p + "/a")).Error);

        // A recursive watch answers to Children, Data and Any as well.
        Assert.Equal(ErrorCode.Ok, (await AddWatchAsync(watcher, p, AddWatchMode.PersistentRecursive)).Error);
        Assert.Equal(ErrorCode.Ok, (await CheckAsync(watcher, p, WatcherType.Children)).Error);
        Assert.Equal(ErrorCode.Ok, (await RemoveAsync(watcher, p, WatcherType.Any)).Error);
        Assert.Equal(ErrorCode.Ok, (await writer.SetDataAsync(p + "/b", [3])).Error);
        Assert.Empty(await EventsAsync(watcher));
    }

    [Theory]
    [InlineData(TargetKind.ZooKeeper)]
    [InlineData(TargetKind.Gateway)]
    [InlineData(TargetKind.AwsGateway)]
    public async Task AddWatch_with_an_unknown_mode_is_a_marshalling_error(TargetKind target)
    {
        await using var client = await targets.ConnectAsync(target);
        Assert.Equal(ErrorCode.MarshallingError, (await AddWatchAsync(client, Unique("mode"), (AddWatchMode)2)).Error);
        Assert.Equal(ErrorCode.Ok, (await client.ExistsAsync("/")).Error);
    }

    [Theory]
    [InlineData(TargetKind.ZooKeeper)]
    [InlineData(TargetKind.Gateway)]
    [InlineData(TargetKind.AwsGateway)]
    public async Task SetWatches2_registers_persistent_and_recursive_watches(TargetKind target)
    {
        string p = Unique("setwatches2");
        string q = Unique("setwatches2-rec");
        await using var writer = await targets.ConnectAsync(target);
        await using var watcher = await targets.ConnectAsync(target);
        Assert.Equal(ErrorCode.Ok, (await writer.CreateAsync(p)).Error);
        Assert.Equal(ErrorCode.Ok, (await writer.CreateAsync(q)).Error);
        var reply = await watcher.SendAsync(OpCode.SetWatches2, new SetWatches2(writer.LastZxid, [], [], [], [p], [q]), Xids.SetWatches);
        Assert.Equal(ErrorCode.Ok, reply.Error);
        Assert.Empty(reply.Body);
        Assert.Equal(ErrorCode.Ok, (await writer.SetDataAsync(p, [1])).Error);
        Assert.Equal(ErrorCode.Ok, (await writer.SetDataAsync(p, [2])).Error);
        Assert.Equal(ErrorCode.Ok, (await writer.CreateAsync(q + "/a")).Error);
        Assert.Equal([$"NodeDataChanged {p}", $"NodeDataChanged {p}", $"NodeCreated {q}/a"], await EventsAsync(watcher));
    }

    [Theory]
    [InlineData(TargetKind.ZooKeeper)]
    [InlineData(TargetKind.Gateway)]
    [InlineData(TargetKind.AwsGateway)]
    public async Task MultiRead_answers_each_op_independently_and_sets_no_watches(TargetKind target)
    {
        string p = Unique("multiread");
        await using var client = await targets.ConnectAsync(target);
        Assert.Equal(ErrorCode.Ok, (await client.CreateAsync(p, [7, 8])).Error);
        Assert.Equal(ErrorCode.Ok, (await client.CreateAsync(p + "/c")).Error);
        // World may create but not read.
        Assert.Equal(ErrorCode.Ok, (await client.SendAsync(OpCode.Create, new CreateRequest(p + "/secret", [1], [new Acl(Perms.Create, Id.Anyone)], CreateMode.Persistent))).Error);

        var reply = await client.SendAsync(OpCode.MultiRead, new MultiRequest([
            new MultiOp(OpCode.GetData, new GetDataRequest(p, true)),
            new MultiOp(OpCode.GetChildren, new GetChildrenRequest(p + "/missing", true)),
            new MultiOp(OpCode.GetChildren, new GetChildrenRequest(p, true)),
            new MultiOp(OpCode.GetData, new GetDataRequest(p + "/secret", false)),
            new MultiOp(OpCode.GetChildren, new GetChildrenRequest(p + "/secret", false)),
        ]));
        Assert.Equal(ErrorCode.Ok, reply.Error);
        var results = reply.Decode<MultiResponse>().Results;
        Assert.Equal(5, results.Count);
        Assert.Equal((OpCode.GetData, ErrorCode.Ok), (results[0].Type, results[0].Err));
        var data = (GetDataResponse)results[0].Body!;
        Assert.Equal(new byte[] { 7, 8 }, data.Data);
        Assert.Equal(2, data.Stat.NumChildren);
        Assert.Equal((OpCode.Error, ErrorCode.NoNode), (results[1].Type, results[1].Err));
        Assert.Equal(new ErrorResponse(ErrorCode.NoNode), results[1].Body);
        Assert.Equal((OpCode.GetChildren, ErrorCode.Ok), (results[2].Type, results[2].Err));
        Assert.Equal(["c", "secret"], ((GetChildrenResponse)results[2].Body!).Children!.Order(StringComparer.Ordinal));
        Assert.Equal((OpCode.Error, ErrorCode.NoAuth), (results[3].Type, results[3].Err));
        Assert.Equal((OpCode.Error, ErrorCode.NoAuth), (results[4].Type, results[4].Err));

        // The sub-requests' watch flags are ignored by 3.8.0.
        Assert.Equal(ErrorCode.Ok, (await client.SetDataAsync(p, [9])).Error);
        Assert.Equal(ErrorCode.Ok, (await client.CreateAsync(p + "/d")).Error);
        Assert.Empty(await EventsAsync(client));

        var empty = await client.SendAsync(OpCode.MultiRead, new MultiRequest([]));
        Assert.Equal(ErrorCode.Ok, empty.Error);
        Assert.Empty(empty.Decode<MultiResponse>().Results);
    }

    [Theory]
    [InlineData(TargetKind.ZooKeeper)]
    [InlineData(TargetKind.Gateway)]
    [InlineData(TargetKind.AwsGateway)]
    public async Task Sasl_gets_a_null_token_and_reconfig_is_disabled(TargetKind target)
    {
        await using var client = await targets.ConnectAsync(target);
        string p = Unique("reconfig");
        foreach (byte[] token in new[] { new byte[] { 0, 0, 0, 0 }, new byte[] { 0, 0, 0, 3, 1, 2, 3 } })
        {
            var sasl = await client.SendAsync(OpCode.Sasl, new RawBody(token));
            Assert.Equal((0L, ErrorCode.Ok), (sasl.Header.Zxid, sasl.Error));
            Assert.Equal(new byte[] { 0xff, 0xff, 0xff, 0xff }, sasl.Body);
        }

        long before = (await client.CreateAsync(p)).Header.Zxid;
        // ReconfigRequest{null, null, null, -1}: well formed, refused, and a zxid is consumed.
        var reconfig = await client.SendAsync(OpCode.Reconfig, new RawBody([.. Enumerable.Repeat((byte)0xff, 20)]));
        Assert.Equal((before + 1, ErrorCode.ReconfigDisabled), (reconfig.Header.Zxid, reconfig.Error));
        Assert.Empty(reconfig.Body);
        long after = (await client.SetDataAsync(p, [1])).Header.Zxid;
        Assert.Equal(before + 2, after);

        // An empty body cannot be decoded: MarshallingError with the current zxid, none consumed.
        var malformed = await client.SendAsync(OpCode.Reconfig, null);
        Assert.Equal((after, ErrorCode.MarshallingError), (malformed.Header.Zxid, malformed.Error));
        Assert.Equal(after + 1, (await client.SetDataAsync(p, [2])).Header.Zxid);
    }

    [Theory]
    [InlineData(TargetKind.ZooKeeper)]
    [InlineData(TargetKind.Gateway)]
    [InlineData(TargetKind.AwsGateway)]
    public async Task AddWatch_checks_no_acl_but_events_need_read(TargetKind target)
    {
        string p = Unique("acl-watch");
        await using var writer = await targets.ConnectAsync(target);
        await using var watcher = await targets.ConnectAsync(target);
        Assert.Equal(ErrorCode.Ok, (await writer.SendAsync(OpCode.Create, new CreateRequest(p, [1], [new Acl(Perms.Create | Perms.Write | Perms.Delete, Id.Anyone)], CreateMode.Persistent))).Error);
        Assert.Equal(ErrorCode.Ok, (await AddWatchAsync(watcher, p, AddWatchMode.PersistentRecursive)).Error);
        Assert.Equal(ErrorCode.Ok, (await writer.SetDataAsync(p, [2])).Error);
        Assert.Equal(ErrorCode.Ok, (await writer.CreateAsync(p + "/open")).Error);
        // Only the event about the readable child is delivered (CVE-2024-23944 check in 3.8.0-11+deb12u2).
        Assert.Equal([$"NodeCreated {p}/open"], await EventsAsync(watcher));
    }
}
