using ZkGateway.Backend;
using ZkGateway.Jute.Data;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.Backend.Tests;

/// <summary>
/// ZooKeeper 3.8's operation semantics on the embedded backend: check order, error codes and Stat
/// fields. Expected values were checked against a real ZooKeeper 3.8.0 (Debian) with kazoo.
/// </summary>
public sealed class OperationSemanticsTests : EmbeddedSessionTests
{
    [Fact]
    public async Task Fresh_tree_matches_zookeeper_initial_stats()
    {
        var root = await B.GetDataAsync("/", null);
        Assert.Equal(ErrorCode.Ok, root.Error);
        Assert.Equal(-1, root.Value!.Stat.Cversion);
        Assert.Equal(1, root.Value.Stat.NumChildren);
        var zookeeper = await B.GetDataAsync("/zookeeper", null);
        Assert.Equal(-2, zookeeper.Value!.Stat.Cversion);
        var config = await B.GetAclAsync("/zookeeper/config");
        Assert.Equal(-1, config.Value!.Stat.Aversion);
        Assert.Equal(Acl.ReadAclUnsafe, config.Value.Acl);
        var children = await B.GetChildrenAsync("/zookeeper", null);
        Assert.Equal(["config", "quota"], children.Value!.Children.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Create_sets_stat_fields_and_updates_parent()
    {
        var created = await Zk.CreateAsync(Session, "/a", "hello");
        Assert.Equal(ErrorCode.Ok, created.Error);
        var stat = created.Result!.Stat!.Value;
        Assert.Equal(created.Zxid, stat.Czxid);
        Assert.Equal(created.Zxid, stat.Mzxid);
        Assert.Equal(created.Zxid, stat.Pzxid);
        Assert.Equal(5, stat.DataLength);
        Assert.Equal(0, stat.Version);
        Assert.Equal(0, stat.EphemeralOwner);

        var root = await B.ExistsAsync("/", null);
        Assert.Equal(created.Zxid, root.Value.Pzxid);
        Assert.Equal(2, root.Value.NumChildren);
        Assert.Equal(0, root.Value.Cversion); // 2 × 1 created − 2 children

        var data = await B.GetDataAsync("/a", null);
        Assert.Equal("hello"u8.ToArray(), data.Value!.Data);
    }

    [Fact]
    public async Task Sequential_suffix_comes_from_the_parent_creation_counter()
    {
        await Zk.CreateAsync(Session, "/t");
        var names = new List<string>();
        for (int i = 0; i < 3; i++)
        {
            names.Add((await Zk.CreateAsync(Session, "/t/s-", mode: CreateMode.PersistentSequential)).Result!.Path!);
        }
        Assert.Equal(["/t/s-0000000000", "/t/s-0000000001", "/t/s-0000000002"], names);
        Assert.Equal(ErrorCode.Ok, (await B.SubmitAsync(Session, new DeleteOperation("/t/s-0000000001", -1))).Result!.Error);
        var next = await Zk.CreateAsync(Session, "/t/s-", mode: CreateMode.PersistentSequential);
        Assert.Equal("/t/s-0000000003", next.Result!.Path);
        var t = await B.ExistsAsync("/t", null);
        Assert.Equal(5, t.Value.Cversion); // as ZooKeeper: 2 × 4 − 3
        Assert.Equal(3, t.Value.NumChildren);
    }

    [Fact]
    public async Task Create_refusals_follow_zookeepers_check_order_with_the_parent_looked_up_before_the_name()
    {
        // Parent missing beats an invalid name: "/a//b" has parent "/a/" → NoNode.
        Assert.Equal(ErrorCode.NoNode, (await Zk.CreateAsync(Session, "/missing/x")).Result!.Error);
        Assert.Equal(ErrorCode.BadArguments, (await Zk.CreateAsync(Session, "noslash")).Result!.Error);
        // The parent is looked up before the name is validated: "/bad/" → parent "/bad" → NoNode.
        Assert.Equal(ErrorCode.NoNode, (await Zk.CreateAsync(Session, "/bad/")).Result!.Error);
        Assert.Equal(ErrorCode.BadArguments, (await Zk.CreateAsync(Session, "/.")).Result!.Error);
        await Zk.CreateAsync(Session, "/p");
        Assert.Equal(ErrorCode.BadArguments, (await Zk.CreateAsync(Session, "/p/")).Result!.Error);
        Assert.Equal(ErrorCode.BadArguments, (await Zk.CreateAsync(Session, "/p/")).Result!.Error);
        Assert.Equal(ErrorCode.NodeExists, (await Zk.CreateAsync(Session, "/p")).Result!.Error);
        // "/p/" with a sequential flag is valid: the suffix is appended before validation.
        Assert.Equal("/p/0000000000", (await Zk.CreateAsync(Session, "/p/", mode: CreateMode.PersistentSequential)).Result!.Path);
        await Zk.CreateAsync(Session, "/e", mode: CreateMode.Ephemeral);
        Assert.Equal(ErrorCode.NoChildrenForEphemerals, (await Zk.CreateAsync(Session, "/e/c")).Result!.Error);
        var invalidAcl = await B.SubmitAsync(Session, new CreateOperation("/acl", [], [], CreateMode.Persistent));
        Assert.Equal(ErrorCode.InvalidAcl, invalidAcl.Result!.Error);
        // /zookeeper/config is world-readable only.
        Assert.Equal(ErrorCode.NoAuth, (await Zk.CreateAsync(Session, "/zookeeper/config/x")).Result!.Error);
        Assert.Equal(ErrorCode.Unimplemented, (await Zk.CreateAsync(Session, "/ttl", mode: CreateMode.PersistentWithTtl)).Result!.Error);
    }

    [Fact]
    public async Task Delete_check_order_bad_version_before_not_empty()
    {
        await Zk.CreateAsync(Session, "/d");
        await Zk.CreateAsync(Session, "/d/c");
        Assert.Equal(ErrorCode.BadVersion, (await B.SubmitAsync(Session, new DeleteOperation("/d", 7))).Result!.Error);
        Assert.Equal(ErrorCode.NotEmpty, (await B.SubmitAsync(Session, new DeleteOperation("/d", 0))).Result!.Error);
        Assert.Equal(ErrorCode.NoNode, (await B.SubmitAsync(Session, new DeleteOperation("/d/none", -1))).Result!.Error);
        Assert.Equal(ErrorCode.NoNode, (await B.SubmitAsync(Session, new DeleteOperation("/none/x", -1))).Result!.Error);
        foreach (string reserved in new[] { "/", "/zookeeper", "/zookeeper/quota", "/zookeeper/config" })
        {
            Assert.Equal(ErrorCode.BadArguments, (await B.SubmitAsync(Session, new DeleteOperation(reserved, -1))).Result!.Error);
        }
        Assert.Equal(ErrorCode.Ok, (await B.SubmitAsync(Session, new DeleteOperation("/d/c", 0))).Result!.Error);
        var parent = await B.ExistsAsync("/d", null);
        Assert.Equal(2, parent.Value.Cversion); // one create + one delete
    }

    [Fact]
    public async Task SetData_checks_the_version_and_sets_version_mzxid_and_data_length()
    {
        var created = await Zk.CreateAsync(Session, "/s", "v0");
        Assert.Equal(ErrorCode.BadVersion, (await B.SubmitAsync(Session, new SetDataOperation("/s", [1], 3))).Result!.Error);
        var set = await B.SubmitAsync(Session, new SetDataOperation("/s", [1, 2, 3], 0));
        Assert.Equal(ErrorCode.Ok, set.Result!.Error);
        var stat = set.Result.Stat!.Value;
        Assert.Equal(1, stat.Version);
        Assert.Equal(set.Zxid, stat.Mzxid);
        Assert.Equal(created.Zxid, stat.Czxid);
        Assert.Equal(3, stat.DataLength);
        Assert.Equal(ErrorCode.Ok, (await B.SubmitAsync(Session, new SetDataOperation("/s", [], -1))).Result!.Error);
        Assert.Equal(ErrorCode.NoNode, (await B.SubmitAsync(Session, new SetDataOperation("/nope", [], -1))).Result!.Error);
        Assert.Equal(ErrorCode.BadArguments, (await B.SubmitAsync(Session, new SetDataOperation("/s/", [], -1))).Result!.Error);
        Assert.Equal(ErrorCode.NoAuth, (await B.SubmitAsync(Session, new SetDataOperation("/zookeeper/config", [], -1))).Result!.Error);
    }

    [Fact]
    public async Task Failed_writes_consume_a_zxid_and_zxids_only_grow()
    {
        var first = await Zk.CreateAsync(Session, "/z");
        var failed = await Zk.CreateAsync(Session, "/z");
        var next = await Zk.CreateAsync(Session, "/z2");
        Assert.Equal(ErrorCode.NodeExists, failed.Result!.Error);
        Assert.Equal(first.Zxid + 1, failed.Zxid);
        Assert.Equal(failed.Zxid + 1, next.Zxid);
        Assert.True(B.LastAppliedZxid >= next.Zxid);
    }

    [Fact]
    public async Task Multi_is_all_or_nothing_with_zookeeper_result_codes()
    {
        await Zk.CreateAsync(Session, "/m");
        var ops = new WriteOperation[]
        {
            new CreateOperation("/m/a", [], Acl.OpenAclUnsafe, CreateMode.Persistent),
            new CreateOperation("/m/a/b", [], Acl.OpenAclUnsafe, CreateMode.Persistent),
            new CheckOperation("/m", 5),
            new SetDataOperation("/m", [1], -1),
        };
        var failed = await B.SubmitAsync(Session, new MultiOperation(ops));
        Assert.Equal(ErrorCode.Ok, failed.Error);
        Assert.Equal([ErrorCode.Ok, ErrorCode.Ok, ErrorCode.BadVersion, ErrorCode.RuntimeInconsistency], failed.MultiResults!.Select(r => r.Error));
        Assert.Equal(ErrorCode.NoNode, (await B.ExistsAsync("/m/a", null)).Error);
        Assert.Equal(0, (await B.ExistsAsync("/m", null)).Value.Version);

        ops[2] = new CheckOperation("/m", 0);
        var ok = await B.SubmitAsync(Session, new MultiOperation(ops));
        Assert.All(ok.MultiResults!, r => Assert.Equal(ErrorCode.Ok, r.Error));
        var b = await B.ExistsAsync("/m/a/b", null);
        Assert.Equal(ok.Zxid, b.Value.Czxid);
        Assert.Equal(ok.Zxid, (await B.ExistsAsync("/m", null)).Value.Mzxid);
    }

    [Fact]
    public async Task Watches_fire_once_with_zookeeper_event_types()
    {
        const long watcher = 42;
        await Zk.CreateAsync(Session, "/w");
        await B.GetDataAsync("/w", watcher);
        await B.GetChildrenAsync("/w", watcher);
        await B.ExistsAsync("/w/new", watcher);
        Zk.Sink.Drain();

        await Zk.CreateAsync(Session, "/w/new");
        var events = Zk.Sink.Drain();
        Assert.Equal([(EventType.NodeCreated, "/w/new"), (EventType.NodeChildrenChanged, "/w")], events.Select(e => (e.Event.Type, e.Event.Path)));
        Assert.All(events, e => Assert.Equal(watcher, e.Watcher));

        await B.SubmitAsync(Session, new SetDataOperation("/w", [1], -1));
        Assert.Equal([(EventType.NodeDataChanged, "/w")], Zk.Sink.Drain().Select(e => (e.Event.Type, e.Event.Path)));

        // One-shot: nothing is registered any more.
        await B.SubmitAsync(Session, new SetDataOperation("/w", [2], -1));
        await B.SubmitAsync(Session, new DeleteOperation("/w/new", -1));
        Assert.Empty(Zk.Sink.Drain());

        // Delete fires one NodeDeleted per watcher even with both a data and a child watch.
        await B.GetDataAsync("/w", watcher);
        await B.GetChildrenAsync("/w", watcher);
        await B.SubmitAsync(Session, new DeleteOperation("/w", -1));
        var deleted = Zk.Sink.Drain();
        Assert.Single(deleted, e => e.Event.Type == EventType.NodeDeleted && e.Event.Path == "/w");
    }

    [Fact]
    public async Task Closing_a_session_deletes_its_ephemerals_and_tells_watchers()
    {
        long other = await Zk.NewSessionAsync();
        await Zk.CreateAsync(other, "/eph", mode: CreateMode.Ephemeral);
        var owned = await B.GetEphemeralsAsync(other, "/");
        Assert.Equal(["/eph"], owned.Value!);
        Assert.Equal(other, (await B.ExistsAsync("/eph", 7)).Value.EphemeralOwner);
        await B.CloseSessionAsync(other);
        Assert.Equal(ErrorCode.NoNode, (await B.ExistsAsync("/eph", null)).Error);
        Assert.Contains(Zk.Sink.Drain(), e => e.Watcher == 7 && e.Event.Type == EventType.NodeDeleted);
        Assert.Contains(other, Zk.Sink.ClosedSessions);
        Assert.False(B.IsSessionLive(other));
        Assert.False(await B.TryResumeSessionAsync(other, new byte[16], 30000));
    }

    [Fact]
    public async Task SetWatches_fires_what_changed_after_relative_zxid_and_registers_the_rest()
    {
        await Zk.CreateAsync(Session, "/sw");
        await Zk.CreateAsync(Session, "/sw2");
        long relative = B.LastAppliedZxid;
        await B.SubmitAsync(Session, new SetDataOperation("/sw", [1], -1));
        await Zk.CreateAsync(Session, "/appeared");
        Zk.Sink.Drain();

        await B.SetWatchesAsync(9, relative, ["/sw", "/sw2", "/gone"], ["/appeared", "/absent"], ["/sw2"]);
        var fired = Zk.Sink.Drain().Select(e => (e.Event.Type, e.Event.Path, e.Event.Zxid)).ToList();
        Assert.Contains((EventType.NodeDataChanged, "/sw", -1L), fired);
        Assert.Contains((EventType.NodeDeleted, "/gone", -1L), fired);
        Assert.Contains((EventType.NodeCreated, "/appeared", -1L), fired);
        Assert.Equal(3, fired.Count);

        await Zk.CreateAsync(Session, "/absent");
        await B.SubmitAsync(Session, new SetDataOperation("/sw2", [1], -1));
        var later = Zk.Sink.Drain().Select(e => (e.Event.Type, e.Event.Path)).ToList();
        Assert.Contains((EventType.NodeCreated, "/absent"), later);
        Assert.Contains((EventType.NodeDataChanged, "/sw2"), later);
    }

    [Fact]
    public async Task AddWatch_and_setWatches2_persistent_watches_fire_through_the_distributor()
    {
        await Zk.CreateAsync(Session, "/pw");
        Assert.Equal(B.LastAppliedZxid, await B.AddWatchAsync("/pw", AddWatchMode.Persistent, 5));
        await B.SetWatchesAsync(6, B.LastAppliedZxid, [], [], [], null, ["/pw"]);
        Zk.Sink.Drain();

        await B.SubmitAsync(Session, new SetDataOperation("/pw", [1], -1));
        await Zk.CreateAsync(Session, "/pw/child");
        await B.SubmitAsync(Session, new SetDataOperation("/pw/child", [1], -1));
        var fired = Zk.Sink.Drain().Select(e => (e.Watcher, e.Event.Type, e.Event.Path)).ToList();
        // 5: persistent on /pw (data and child events); 6: recursive on /pw (no children events).
        Assert.Equal(
            [(5L, EventType.NodeDataChanged, "/pw"), (5L, EventType.NodeChildrenChanged, "/pw"), (6L, EventType.NodeDataChanged, "/pw"),
             (6L, EventType.NodeCreated, "/pw/child"), (6L, EventType.NodeDataChanged, "/pw/child")],
            fired.OrderBy(f => f.Watcher).ThenBy(f => f.Path, StringComparer.Ordinal).ThenBy(f => f.Type).ToList());

        Assert.True(B.CheckWatches("/pw", WatcherType.Data));
        Assert.True(B.RemoveWatches("/pw", WatcherType.Any, 5));
        Assert.False(B.RemoveWatches("/pw", WatcherType.Any, 5));
        Assert.True(B.RemoveWatches("/pw", WatcherType.Any, 6));
        Assert.False(B.CheckWatches("/pw", WatcherType.Any));
        await B.SubmitAsync(Session, new SetDataOperation("/pw", [2], -1));
        Assert.Empty(Zk.Sink.Drain());
    }
}
