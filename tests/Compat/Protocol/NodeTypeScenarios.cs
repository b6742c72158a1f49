using ZkGateway.Compat.Infrastructure;
using static ZkGateway.Compat.Infrastructure.Scenario;
using ZkGateway.Jute;
using ZkGateway.Jute.Data;
using ZkGateway.Jute.Proto;
using ZkGateway.Jute.Protocol;
using ZkGateway.Testing;

namespace ZkGateway.Compat.Protocol;

/// <summary>
/// Byte-level scenarios for container and TTL nodes and their reaper, run against real ZooKeeper 3.8.0
/// and the gateway with the same expectations; both run with extended types on and a 1 s reaper
/// interval (<see cref="NodeTypeFixture"/>). Several expectations pin 3.8.0 quirks found by running it
/// (docs/compatibility.md). Reaping is awaited with generous deadlines, never timed.
/// </summary>
[Collection(NodeTypeCollection.Name)]
public sealed class NodeTypeScenarios(NodeTypeFixture targets)
{
    /// <summary>Ample for a 1 s check interval on a loaded 2-core machine.</summary>
    private static readonly TimeSpan ReapDeadline = TimeSpan.FromSeconds(15);

    private static Task<RawReply> CreateTtlAsync(RawZkClient c, string? path, long ttl, CreateMode mode = CreateMode.PersistentWithTtl) =>
        c.SendAsync(OpCode.CreateTtl, new CreateTTLRequest(path, [], Acl.OpenAclUnsafe, mode, ttl));

    private static MultiOp Create(OpCode op, string path, CreateMode mode) => new(op, new CreateRequest(path, [], Acl.OpenAclUnsafe, mode));

    /// <summary>Gives a container a child and takes it away again: it has been used and is now empty.</summary>
    private static async Task UseOnceAsync(RawZkClient c, string container)
    {
        Assert.Equal(ErrorCode.Ok, (await c.CreateAsync(container + "/kid")).Error);
        Assert.Equal(ErrorCode.Ok, (await c.DeleteAsync(container + "/kid")).Error);
    }

    /// <summary>Waits until the node is gone; false if it is still there at the deadline.</summary>
    private static async Task<bool> ReapedAsync(RawZkClient c, string path)
    {
        var deadline = DateTime.UtcNow + ReapDeadline;
        while (DateTime.UtcNow < deadline)
        {
            var exists = await c.ExistsAsync(path);
            if (exists.Error == ErrorCode.NoNode)
            {
                return true;
            }
            Assert.Equal(ErrorCode.Ok, exists.Error);
            await Task.Delay(100);
        }
        return false;
    }

    /// <summary>
    /// After a node was reaped, lets at least two more checks run, so that a node that should stay
    /// would have been deleted by now if it were a candidate.
    /// </summary>
    private static Task MoreChecksAsync() => Task.Delay(TimeSpan.FromMilliseconds(NodeTypeFixture.CheckIntervalMs * 2.5));

    [Theory]
    [InlineData(TargetKind.ZooKeeper)]
    [InlineData(TargetKind.Gateway)]
    public async Task Containers_and_ttl_nodes_show_ephemeral_owner_0_and_create2_replies(TargetKind target)
    {
        await using var c = await targets.ConnectAsync(target);
        string p = Unique("kinds");

        var container = await c.CreateAsync(p + "c", mode: CreateMode.Container, op: OpCode.CreateContainer);
        Assert.Equal(ErrorCode.Ok, container.Error);
        var created = container.Decode<Create2Response>();
        Assert.Equal(p + "c", created.Path);
        // ZooKeeper stores Long.MIN_VALUE (container) and 0xFF00…|ttl (TTL) as the owner; clients see 0.
        Assert.Equal(0, created.Stat.EphemeralOwner);
        Assert.Equal(0, created.Stat.Cversion);
        Assert.Equal(container.Header.Zxid, created.Stat.Czxid);

        // TTLs of an hour: a node reaped during a later test would consume a zxid in its middle (the
        // collection shares one server per target, and Ttl_arguments_... counts zxids).
        var ttl = await CreateTtlAsync(c, p + "t", 3_600_000);
        Assert.Equal(ErrorCode.Ok, ttl.Error);
        Assert.Equal(0, ttl.Decode<Create2Response>().Stat.EphemeralOwner);
        var seq = await CreateTtlAsync(c, p + "s-", 3_600_000, CreateMode.PersistentSequentialWithTtl);
        Assert.StartsWith(p + "s-", seq.Decode<Create2Response>().Path);
        Assert.Equal(p.Length + 2 + 10, seq.Decode<Create2Response>().Path!.Length);

        Assert.Equal(0, (await c.ExistsAsync(p + "c")).Decode<ExistsResponse>().Stat.EphemeralOwner);
        Assert.Equal(0, (await c.GetDataAsync(p + "t")).Decode<GetDataResponse>().Stat.EphemeralOwner);
        Assert.Equal(ErrorCode.Ok, (await c.CreateAsync(p + "c/child", mode: CreateMode.Ephemeral)).Error);
        Assert.Equal(ErrorCode.Ok, (await c.CreateAsync(p + "t/child")).Error);
        // A plain create answers with the path only, whatever node it makes.
        var plain = await c.CreateAsync(p + "plain", mode: CreateMode.Container);
        Assert.Equal(p + "plain", plain.Decode<CreateResponse>().Path);
    }

    [Theory]
    [InlineData(TargetKind.ZooKeeper)]
    [InlineData(TargetKind.Gateway)]
    public async Task Ttl_arguments_are_checked_and_every_refusal_consumes_a_zxid(TargetKind target)
    {
        await using var c = await targets.ConnectAsync(target);
        string p = Unique("ttlargs");
        var cases = new (string What, Func<Task<RawReply>> Send, ErrorCode Expected)[]
        {
            ("ttl 0", () => CreateTtlAsync(c, p + "a", 0), ErrorCode.BadArguments),
            ("ttl -1", () => CreateTtlAsync(c, p + "a", -1), ErrorCode.BadArguments),
            ("ttl 2^40", () => CreateTtlAsync(c, p + "a", 1L << 40), ErrorCode.BadArguments),
            ("createTTL, persistent mode", () => CreateTtlAsync(c, p + "a", 1000, CreateMode.Persistent), ErrorCode.BadArguments),
            ("createTTL, ephemeral mode", () => CreateTtlAsync(c, p + "a", 1000, CreateMode.Ephemeral), ErrorCode.BadArguments),
            ("createTTL, container mode", () => CreateTtlAsync(c, p + "a", 1000, CreateMode.Container), ErrorCode.BadArguments),
            ("createTTL, flags 7", () => CreateTtlAsync(c, p + "a", 1000, (CreateMode)7), ErrorCode.BadArguments),
            ("create with a TTL mode (no ttl)", () => c.CreateAsync(p + "a", mode: CreateMode.PersistentWithTtl), ErrorCode.BadArguments),
            ("create2 with a TTL mode", () => c.CreateAsync(p + "a", mode: CreateMode.PersistentSequentialWithTtl, op: OpCode.Create2), ErrorCode.BadArguments),
            ("createContainer with a TTL mode", () => c.CreateAsync(p + "a", mode: CreateMode.PersistentWithTtl, op: OpCode.CreateContainer), ErrorCode.BadArguments),
            ("missing parent", () => CreateTtlAsync(c, p + "/x/y", 1000), ErrorCode.NoNode),
            ("bad ttl before missing parent", () => CreateTtlAsync(c, p + "/x/y", 0), ErrorCode.BadArguments),
            // A null path (-1) passes the ttl checks, then 3.8.0 fails taking its parent: MarshallingError.
            ("null path", () => CreateTtlAsync(c, null, 1000), ErrorCode.MarshallingError),
            ("bad ttl before null path", () => CreateTtlAsync(c, null, 0), ErrorCode.BadArguments),
            ("largest ttl", () => CreateTtlAsync(c, p + "max", (1L << 40) - 1), ErrorCode.Ok),
        };
        long previous = (await c.CreateAsync(p)).Header.Zxid;
        foreach (var (what, send, expected) in cases)
        {
            var reply = await send();
            Assert.True(expected == reply.Error, $"{what}: expected {expected}, got {reply.Error}");
            Assert.True(previous + 1 == reply.Header.Zxid, $"{what}: zxid {reply.Header.Zxid} after {previous}");
            previous = reply.Header.Zxid;
        }
    }

    [Theory]
    [InlineData(TargetKind.ZooKeeper)]
    [InlineData(TargetKind.Gateway)]
    public async Task Multi_result_types_follow_the_flags_and_a_ttl_mode_needs_createTTL(TargetKind target)
    {
        await using var c = await targets.ConnectAsync(target);
        string p = Unique("multikinds");
        Assert.Equal(ErrorCode.Ok, (await c.CreateAsync(p)).Error);
        var reply = await c.SendAsync(OpCode.Multi, new MultiRequest(
        [
            Create(OpCode.Create, p + "/a", CreateMode.Container),
            Create(OpCode.Create2, p + "/b", CreateMode.Container),
            Create(OpCode.CreateContainer, p + "/c", CreateMode.Persistent),
            Create(OpCode.CreateContainer, p + "/d", CreateMode.Container),
            new MultiOp(OpCode.CreateTtl, new CreateTTLRequest(p + "/e", [], Acl.OpenAclUnsafe, CreateMode.PersistentWithTtl, 3_600_000)),
            // Inside a multi createTTL with a non-TTL mode makes that node and ignores the ttl.
            new MultiOp(OpCode.CreateTtl, new CreateTTLRequest(p + "/f", [], Acl.OpenAclUnsafe, CreateMode.Persistent, 60_000)),
            Create(OpCode.Create2, p + "/g", CreateMode.Persistent),
            Create(OpCode.CreateContainer, p + "/h-", CreateMode.PersistentSequential),
        ]));
        Assert.Equal(ErrorCode.Ok, reply.Error);
        var results = reply.Decode<MultiResponse>().Results;
        Assert.Equal(
            [OpCode.Create2, OpCode.Create2, OpCode.Create, OpCode.Create2, OpCode.Create2, OpCode.Create, OpCode.Create, OpCode.Create],
            results.Select(r => r.Type));
        Assert.All(results, r => Assert.Equal(ErrorCode.Ok, r.Err));
        var stat = Assert.IsType<Create2Response>(results[0].Body).Stat;
        Assert.Equal(0, stat.EphemeralOwner);
        Assert.Equal(reply.Header.Zxid, stat.Czxid);
        Assert.Equal(p + "/h-0000000007", Assert.IsType<CreateResponse>(results[7].Body).Path);

        // A TTL mode under create, create2 or createContainer cannot be processed by 3.8.0 at all: the
        // whole multi gets a bare MarshallingError (a zxid is consumed) and nothing is created.
        foreach (var op in new[] { OpCode.Create, OpCode.CreateContainer })
        {
            var bad = await c.SendAsync(OpCode.Multi, new MultiRequest([Create(OpCode.Create, p + "/x", CreateMode.Persistent), Create(op, p + "/y", CreateMode.PersistentWithTtl)]));
            Assert.Equal(ErrorCode.MarshallingError, bad.Error);
            Assert.Empty(bad.Body);
            Assert.Equal(ErrorCode.NoNode, (await c.ExistsAsync(p + "/x")).Error);
        }
        var badTtl = await c.SendAsync(OpCode.Multi, new MultiRequest(
        [
            Create(OpCode.Create, p + "/x", CreateMode.Persistent),
            new MultiOp(OpCode.CreateTtl, new CreateTTLRequest(p + "/y", [], Acl.OpenAclUnsafe, CreateMode.PersistentWithTtl, 0)),
            Create(OpCode.Create, p + "/z", CreateMode.Persistent),
        ]));
        Assert.Equal([ErrorCode.Ok, ErrorCode.BadArguments, ErrorCode.RuntimeInconsistency], badTtl.Decode<MultiResponse>().Results.Select(r => r.Err));
    }

    [Theory]
    [InlineData(TargetKind.ZooKeeper)]
    [InlineData(TargetKind.Gateway)]
    [InlineData(TargetKind.AwsGateway)]
    [InlineData(TargetKind.AwsGatewayWrites)]
    public async Task Used_empty_containers_are_reaped_with_watch_events_and_unused_ones_stay(TargetKind target)
    {
        await using var c = await targets.ConnectAsync(target);
        await using var watcher = await targets.ConnectAsync(target);
        string p = Unique("reap");
        Assert.Equal(ErrorCode.Ok, (await c.CreateAsync(p)).Error);
        Assert.Equal(ErrorCode.Ok, (await c.CreateAsync(p + "/never", mode: CreateMode.Container, op: OpCode.CreateContainer)).Error);
        Assert.Equal(ErrorCode.Ok, (await c.CreateAsync(p + "/full", mode: CreateMode.Container, op: OpCode.CreateContainer)).Error);
        Assert.Equal(ErrorCode.Ok, (await c.CreateAsync(p + "/full/kid")).Error);
        Assert.Equal(ErrorCode.Ok, (await c.CreateAsync(p + "/used", mode: CreateMode.Container, op: OpCode.CreateContainer)).Error);
        Assert.Equal(ErrorCode.Ok, (await watcher.ExistsAsync(p + "/used", watch: true)).Error);
        Assert.Equal(ErrorCode.Ok, (await watcher.GetDataAsync(p + "/used", watch: true)).Error);
        Assert.Equal(ErrorCode.Ok, (await watcher.GetChildrenAsync(p, watch: true)).Error);
        await UseOnceAsync(c, p + "/used");

        Assert.True(await ReapedAsync(c, p + "/used"), "the used, empty container was not reaped");
        await MoreChecksAsync();
        Assert.Equal(ErrorCode.Ok, (await c.ExistsAsync(p + "/never")).Error);
        Assert.Equal(ErrorCode.Ok, (await c.ExistsAsync(p + "/full")).Error);
        var children = (await c.GetChildrenAsync(p)).Decode<GetChildrenResponse>().Children!;
        Assert.Equal(["full", "never"], children.Order(StringComparer.Ordinal));

        // The deletion is an ordinary transaction: one NodeDeleted for the container (its exists and
        // getData watches share one frame), then NodeChildrenChanged for its parent.
        Assert.Equal(ErrorCode.Ok, (await watcher.ExistsAsync("/")).Error);
        var events = new List<string>();
        while (watcher.Events.Reader.TryRead(out var e))
        {
            events.Add($"{e.Type} {e.Path}");
        }
        Assert.Equal([$"NodeDeleted {p}/used", $"NodeChildrenChanged {p}"], events);
        // The parent's pzxid moved to the deletion's zxid, which is after the child's deletion.
        var parent = (await c.ExistsAsync(p)).Decode<ExistsResponse>().Stat;
        Assert.Equal(2, parent.NumChildren);
        Assert.True(parent.Pzxid > parent.Czxid);
    }

    [Theory]
    [InlineData(TargetKind.ZooKeeper)]
    [InlineData(TargetKind.Gateway)]
    [InlineData(TargetKind.AwsGateway)]
    [InlineData(TargetKind.AwsGatewayWrites)]
    public async Task At_top_level_createContainer_always_makes_a_container_and_create_with_flags_4_never_does(TargetKind target)
    {
        await using var c = await targets.ConnectAsync(target);
        string p = Unique("toplevel");
        Assert.Equal(ErrorCode.Ok, (await c.CreateAsync(p)).Error);
        // 3.8.0 stores every createContainer (op 19) as a container, whatever its non-TTL flags; the flags
        // still add the sequential suffix. create and create2 with flags 4 store a plain persistent node.
        Assert.Equal(ErrorCode.Ok, (await c.CreateAsync(p + "/op19-persistent", mode: CreateMode.Persistent, op: OpCode.CreateContainer)).Error);
        Assert.Equal(ErrorCode.Ok, (await c.CreateAsync(p + "/op19-ephemeral", mode: CreateMode.Ephemeral, op: OpCode.CreateContainer)).Error);
        var seq = await c.CreateAsync(p + "/op19-seq-", mode: CreateMode.PersistentSequential, op: OpCode.CreateContainer);
        string seqPath = seq.Decode<Create2Response>().Path!;
        Assert.Equal(p + "/op19-seq-0000000002", seqPath);
        Assert.Equal(ErrorCode.Ok, (await c.CreateAsync(p + "/op1-container", mode: CreateMode.Container)).Error);
        Assert.Equal(ErrorCode.Ok, (await c.CreateAsync(p + "/op15-container", mode: CreateMode.Container, op: OpCode.Create2)).Error);
        // In a multi the flags decide: op 1 with flags 4 is a container, op 19 with flags 0 is not.
        var multi = await c.SendAsync(OpCode.Multi, new MultiRequest(
        [
            Create(OpCode.Create, p + "/multi-op1-container", CreateMode.Container),
            Create(OpCode.CreateContainer, p + "/multi-op19-persistent", CreateMode.Persistent),
        ]));
        Assert.All(multi.Decode<MultiResponse>().Results, r => Assert.Equal(ErrorCode.Ok, r.Err));
        foreach (string name in new[] { "op19-persistent", "op19-ephemeral", seqPath[(p.Length + 1)..], "op1-container", "op15-container", "multi-op1-container", "multi-op19-persistent" })
        {
            await UseOnceAsync(c, p + "/" + name);
        }

        foreach (string name in new[] { "op19-persistent", "op19-ephemeral", seqPath[(p.Length + 1)..], "multi-op1-container" })
        {
            Assert.True(await ReapedAsync(c, p + "/" + name), $"{name} was not reaped");
        }
        await MoreChecksAsync();
        var children = (await c.GetChildrenAsync(p)).Decode<GetChildrenResponse>().Children!;
        Assert.Equal(["multi-op19-persistent", "op1-container", "op15-container"], children.Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData(TargetKind.ZooKeeper)]
    [InlineData(TargetKind.Gateway)]
    [InlineData(TargetKind.AwsGateway)]
    [InlineData(TargetKind.AwsGatewayWrites)]
    public async Task Expired_ttl_nodes_without_children_are_reaped(TargetKind target)
    {
        await using var c = await targets.ConnectAsync(target);
        await using var watcher = await targets.ConnectAsync(target);
        string p = Unique("ttlreap");
        Assert.Equal(ErrorCode.Ok, (await c.CreateAsync(p)).Error);
        Assert.Equal(ErrorCode.Ok, (await CreateTtlAsync(c, p + "/short", 500)).Error);
        // The watch goes on /short at once: it may be reaped as soon as its 500 ms have run out, and on
        // the AWS target the three writes below and this read take about that long together.
        Assert.Equal(ErrorCode.Ok, (await watcher.ExistsAsync(p + "/short", watch: true)).Error);
        // Long enough for its child to be created first on the AWS target too (each write is a few
        // queue hops there); it runs out while the test waits for /short.
        Assert.Equal(ErrorCode.Ok, (await CreateTtlAsync(c, p + "/parent", 3000)).Error);
        Assert.Equal(ErrorCode.Ok, (await c.CreateAsync(p + "/parent/kid")).Error);
        // Long enough never to run out during the test, however slow the machine.
        Assert.Equal(ErrorCode.Ok, (await CreateTtlAsync(c, p + "/long", 3_600_000)).Error);

        Assert.True(await ReapedAsync(c, p + "/short"), "the expired TTL node was not reaped");
        await MoreChecksAsync();
        var children = (await c.GetChildrenAsync(p)).Decode<GetChildrenResponse>().Children!;
        Assert.Equal(["long", "parent"], children.Order(StringComparer.Ordinal));
        Assert.Equal(ErrorCode.Ok, (await watcher.ExistsAsync("/")).Error);
        Assert.True(watcher.Events.Reader.TryRead(out var e));
        Assert.Equal((EventType.NodeDeleted, p + "/short"), (e.Type, e.Path));

        // Once its last child is gone, an expired TTL node goes too.
        Assert.Equal(ErrorCode.Ok, (await c.DeleteAsync(p + "/parent/kid")).Error);
        Assert.True(await ReapedAsync(c, p + "/parent"), "the expired TTL node was not reaped after losing its child");
    }

    [Theory]
    [InlineData(TargetKind.ZooKeeper)]
    [InlineData(TargetKind.Gateway)]
    public async Task DeleteContainer_from_a_client_is_BadArguments_and_consumes_a_zxid(TargetKind target)
    {
        await using var c = await targets.ConnectAsync(target);
        string p = Unique("delcontainer");
        var created = await c.CreateAsync(p, mode: CreateMode.Container, op: OpCode.CreateContainer);
        // 3.8.0 reads the path from the whole packet (request header included), so no body names a
        // valid path: neither the bare UTF-8 path nor a DeleteRequest.
        Assert.Equal(ErrorCode.Ok, created.Error);
        // The server's reapers (TTL and container nodes left by other scenarios) may write meanwhile, so
        // the zxid is read before and after: one attempt without their writes shows the error taking
        // exactly one zxid (a server whose error took none never shows it).
        bool consumedOne = false;
        for (int attempt = 0; attempt < 5 && !consumedOne; attempt++)
        {
            long before = (await c.ExistsAsync(p)).Header.Zxid;
            var bare = await c.SendAsync(OpCode.DeleteContainer, new RawBody(System.Text.Encoding.UTF8.GetBytes(p)));
            Assert.Equal(ErrorCode.BadArguments, bare.Error);
            long after = (await c.ExistsAsync(p)).Header.Zxid;
            consumedOne = bare.Header.Zxid == before + 1 && after == bare.Header.Zxid;
        }
        Assert.True(consumedOne, "the bad deleteContainer did not take exactly one zxid in any of 5 attempts");
        var framed = await c.SendAsync(OpCode.DeleteContainer, new DeleteRequest(p, -1));
        Assert.Equal(ErrorCode.BadArguments, framed.Error);
        Assert.Equal(ErrorCode.Ok, (await c.ExistsAsync(p)).Error);
        Assert.Equal(ErrorCode.Ok, (await c.PingAsync()).Error);
    }
}

/// <summary>TTL nodes with extended types off (the default), on both targets.</summary>
[Collection(CompatCollection.Name)]
public sealed class NodeTypeDefaultScenarios(CompatFixture targets)
{
    [Theory]
    [InlineData(TargetKind.ZooKeeper)]
    [InlineData(TargetKind.Gateway)]
    public async Task Ttl_nodes_are_Unimplemented_without_extended_types(TargetKind target)
    {
        await using var c = await RawZkClient.ConnectAsync((await targets.GetAsync(target)).Port, 10000);
        string p = $"/ttloff-{Guid.NewGuid():N}";
        long previous = (await c.CreateAsync(p)).Header.Zxid;
        var cases = new (string What, Func<Task<RawReply>> Send, ErrorCode Expected)[]
        {
            ("createTTL", () => c.SendAsync(OpCode.CreateTtl, new CreateTTLRequest(p + "/a", [], Acl.OpenAclUnsafe, CreateMode.PersistentWithTtl, 1000)), ErrorCode.Unimplemented),
            // Extended types are checked before the ttl and before the parent.
            ("createTTL, ttl 0", () => c.SendAsync(OpCode.CreateTtl, new CreateTTLRequest(p + "/a", [], Acl.OpenAclUnsafe, CreateMode.PersistentWithTtl, 0)), ErrorCode.Unimplemented),
            ("createTTL, no parent", () => c.SendAsync(OpCode.CreateTtl, new CreateTTLRequest(p + "/x/y", [], Acl.OpenAclUnsafe, CreateMode.PersistentSequentialWithTtl, 1000)), ErrorCode.Unimplemented),
            ("createTTL, null path", () => c.SendAsync(OpCode.CreateTtl, new CreateTTLRequest(null, [], Acl.OpenAclUnsafe, CreateMode.PersistentWithTtl, 1000)), ErrorCode.Unimplemented),
            ("createTTL, persistent mode", () => c.SendAsync(OpCode.CreateTtl, new CreateTTLRequest(p + "/a", [], Acl.OpenAclUnsafe, CreateMode.Persistent, 1000)), ErrorCode.BadArguments),
            ("createContainer, TTL mode", () => c.CreateAsync(p + "/a", mode: CreateMode.PersistentWithTtl, op: OpCode.CreateContainer), ErrorCode.Unimplemented),
            ("container", () => c.CreateAsync(p + "/c", mode: CreateMode.Container, op: OpCode.CreateContainer), ErrorCode.Ok),
        };
        foreach (var (what, send, expected) in cases)
        {
            var reply = await send();
            Assert.True(expected == reply.Error, $"{what}: expected {expected}, got {reply.Error}");
            Assert.True(previous + 1 == reply.Header.Zxid, $"{what}: zxid {reply.Header.Zxid} after {previous}");
            previous = reply.Header.Zxid;
        }
        var multi = await c.SendAsync(OpCode.Multi, new MultiRequest(
        [
            new MultiOp(OpCode.Create, new CreateRequest(p + "/m", [], Acl.OpenAclUnsafe, CreateMode.Persistent)),
            new MultiOp(OpCode.CreateTtl, new CreateTTLRequest(p + "/t", [], Acl.OpenAclUnsafe, CreateMode.PersistentWithTtl, 1000)),
        ]));
        Assert.Equal([ErrorCode.Ok, ErrorCode.Unimplemented], multi.Decode<MultiResponse>().Results.Select(r => r.Err));
    }
}
