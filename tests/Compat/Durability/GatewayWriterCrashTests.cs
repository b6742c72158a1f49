using ZkGateway.Backend.Aws;
using ZkGateway.Compat.Infrastructure;
using ZkGateway.Jute.Data;
using ZkGateway.Jute.Proto;
using ZkGateway.Jute.Protocol;
using ZkGateway.Testing;

namespace ZkGateway.Compat.Durability;

/// <summary>
/// The gateway write path with a writer that dies or stalls mid-batch: gateway A is held at a
/// failpoint, before it reserved its batch at the write head or after it reserved it and before
/// applying any of it, and killed (SIGKILL) or let go after gateway B wrote. A batch that carries its
/// data is applied by B (exactly once, all of it); one A never reserved is not there at all; a single
/// write whose data only A had is aborted by B (never happened) and, if A wakes, made again after
/// B's writes.
/// </summary>
[Collection(CompatCollection.Name)]
public sealed class GatewayWriterCrashTests
{
    /// <summary>
    /// A multi with a setData, a sequential create and an ephemeral create: B's write finds A's
    /// reserved batch at the head and applies it first, once; A's client's ephemeral goes when its
    /// session expires.
    /// </summary>
    [Theory]
    [InlineData("writer-before-commit", false)]
    [InlineData("writer-after-commit", true)]
    public async Task A_gateway_killed_mid_write_leaves_its_batch_whole_or_absent(string fault, bool reserved)
    {
        await using var pair = await HeldPair.StartAsync(fault, "gwcrash");
        string root = pair.Root;
        await using var writerA = await RawZkClient.ConnectAsync(pair.A.Port, timeoutMs: 4000);
        var multi = await pair.HoldAsync(() => writerA.SendAsync(OpCode.Multi, new MultiRequest(
        [
            new MultiOp(OpCode.SetData, new SetDataRequest(root + "/x", [1], -1)),
            new MultiOp(OpCode.Create, new CreateRequest(root + "/s-", [], Acl.OpenAclUnsafe, CreateMode.PersistentSequential)),
            new MultiOp(OpCode.Create, new CreateRequest(root + "/e", [], Acl.OpenAclUnsafe, CreateMode.Ephemeral)),
        ])));
        await pair.A.KillAsync();
        await Assert.ThrowsAnyAsync<Exception>(() => multi.WaitAsync(TimeSpan.FromSeconds(30)));

        var set = await pair.WriterB.SetDataAsync(root + "/x", [2]);
        Assert.Equal(ErrorCode.Ok, set.Error);
        var x = await pair.WriterB.GetDataAsync(root + "/x");
        Assert.Equal(new byte[] { 2 }, x.Decode<GetDataResponse>().Data);
        Assert.Equal(reserved ? 2 : 1, x.Decode<GetDataResponse>().Stat.Version);
        var children = (await pair.WriterB.GetChildrenAsync(root)).Decode<GetChildrenResponse>().Children!.Order(StringComparer.Ordinal).ToList();
        Assert.Equal(reserved ? ["e", "s-0000000001", "x"] : ["x"], children);
        if (reserved)
        {
            Assert.Contains("that its writer left unapplied at the write head", pair.B.Log);
            Assert.True(set.Header.Zxid > x.Decode<GetDataResponse>().Stat.Czxid);

            // A is dead: B's takeover expires A's client's session (4 s) and its ephemeral goes.
            await WaitForAsync(async () => (await pair.WriterB.ExistsAsync(root + "/e")).Error == ErrorCode.NoNode, TimeSpan.FromSeconds(60), $"the dead gateway's ephemeral stayed:\n{pair.B.Log}");
        }
    }

    /// <summary>
    /// A's writer stalls after reserving its batch (paused, not killed); B applies the batch for it and
    /// writes on; then A wakes up and applies it again, late: its writes find newer stamps and change
    /// nothing, its client gets its reply, and A's next write follows B's.
    /// </summary>
    [Fact]
    public async Task A_stalled_writer_that_wakes_after_another_applied_its_batch_changes_nothing_newer()
    {
        await using var pair = await HeldPair.StartAsync("writer-after-commit", "gwstall");
        string root = pair.Root;
        await using var writerA = await RawZkClient.ConnectAsync(pair.A.Port, timeoutMs: 30000);
        var stalled = await pair.HoldAsync(() => writerA.SendAsync(OpCode.Multi, new MultiRequest(
        [
            new MultiOp(OpCode.SetData, new SetDataRequest(root + "/x", [1], -1)),
            new MultiOp(OpCode.Create, new CreateRequest(root + "/y", [1], Acl.OpenAclUnsafe, CreateMode.Persistent)),
        ])));

        // B applies A's batch, then changes both nodes and deletes one.
        Assert.Equal(ErrorCode.Ok, (await pair.WriterB.SetDataAsync(root + "/x", [2])).Error);
        Assert.Equal(ErrorCode.Ok, (await pair.WriterB.DeleteAsync(root + "/y")).Error);

        File.Delete(pair.Hold);
        var reply = await stalled.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(ErrorCode.Ok, reply.Error);
        Assert.All(reply.Decode<MultiResponse>().Results, r => Assert.Equal(ErrorCode.Ok, r.Err));

        var x = (await pair.WriterB.GetDataAsync(root + "/x")).Decode<GetDataResponse>();
        Assert.Equal(new byte[] { 2 }, x.Data);
        Assert.Equal(2, x.Stat.Version);
        Assert.Equal(ErrorCode.NoNode, (await pair.WriterB.ExistsAsync(root + "/y")).Error);
        Assert.Equal(["x"], (await pair.WriterB.GetChildrenAsync(root)).Decode<GetChildrenResponse>().Children);

        // A's writer caught up: its next write is on top of B's.
        Assert.Equal(ErrorCode.Ok, (await writerA.SetDataAsync(root + "/x", [3], version: 2)).Error);
        Assert.Equal(3, (await pair.WriterB.GetDataAsync(root + "/x")).Decode<GetDataResponse>().Stat.Version);
    }

    /// <summary>
    /// A single setData, whose data the head leaves out (only its writer has it, and writes its node
    /// first): A is killed after reserving it, before writing the node. B finds the node unwritten,
    /// fences it and aborts the batch: the write never happened (A's client had no reply), and B's
    /// write follows.
    /// </summary>
    [Fact]
    public async Task A_single_write_whose_writer_died_before_writing_its_node_is_aborted()
    {
        await using var pair = await HeldPair.StartAsync("writer-after-commit", "gwabort");
        await using var writerA = await RawZkClient.ConnectAsync(pair.A.Port, timeoutMs: 4000);
        var lost = await pair.HoldAsync(() => writerA.SetDataAsync(pair.Root + "/x", [1]));
        await pair.A.KillAsync();
        await Assert.ThrowsAnyAsync<Exception>(() => lost.WaitAsync(TimeSpan.FromSeconds(30)));

        var set = await pair.WriterB.SetDataAsync(pair.Root + "/x", [2]);
        Assert.Equal(ErrorCode.Ok, set.Error);
        Assert.Equal(1, set.Decode<SetDataResponse>().Stat.Version);
        var x = (await pair.WriterB.GetDataAsync(pair.Root + "/x")).Decode<GetDataResponse>();
        Assert.Equal(("02", 1), (Convert.ToHexString(x.Data!), x.Stat.Version));
        Assert.Contains("that its writer left at the write head before writing its node", pair.B.Log);
    }

    /// <summary>
    /// The same single write with A's writer stalled, not killed: B aborts it and writes on; A wakes,
    /// finds its node fenced, and prepares its write again after B's, which its client's reply shows.
    /// </summary>
    [Fact]
    public async Task A_stalled_single_write_that_another_writer_aborted_is_made_again_after_its_writes()
    {
        await using var pair = await HeldPair.StartAsync("writer-after-commit", "gwredo");
        await using var writerA = await RawZkClient.ConnectAsync(pair.A.Port, timeoutMs: 30000);
        var stalled = await pair.HoldAsync(() => writerA.SetDataAsync(pair.Root + "/x", [1]));
        Assert.Equal(1, (await pair.WriterB.SetDataAsync(pair.Root + "/x", [2])).Decode<SetDataResponse>().Stat.Version);

        File.Delete(pair.Hold);
        var reply = await stalled.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(ErrorCode.Ok, reply.Error);
        Assert.Equal(2, reply.Decode<SetDataResponse>().Stat.Version);
        var x = (await pair.WriterB.GetDataAsync(pair.Root + "/x")).Decode<GetDataResponse>();
        Assert.Equal(("01", 2), (Convert.ToHexString(x.Data!), x.Stat.Version));
        Assert.Contains("aborted this writer's batch", pair.A.Log);
    }

    /// <summary>
    /// A's writer writes its batch's node and is killed before sending anything: B's client, a remote
    /// watcher for A, still gets its event, from B's catch-up, which sends the triggers of a batch it
    /// finds applied again (fails without that: the event never comes).
    /// </summary>
    [Fact]
    public async Task A_batch_whose_writer_died_before_sending_its_triggers_still_fires_remote_watches()
    {
        await using var pair = await HeldPair.StartAsync("distributor-before-send", "gwsend");
        Assert.Equal(ErrorCode.Ok, (await pair.WriterB.ExistsAsync(pair.Root + "/x", watch: true)).Error);
        await using var writerA = await RawZkClient.ConnectAsync(pair.A.Port, timeoutMs: 4000);
        var lost = await pair.HoldAsync(() => writerA.SetDataAsync(pair.Root + "/x", [1]));
        await pair.A.KillAsync();
        await Assert.ThrowsAnyAsync<Exception>(() => lost.WaitAsync(TimeSpan.FromSeconds(30)));

        // B's next write catches up with A's batch, applied but never sent.
        Assert.Equal(ErrorCode.Ok, (await pair.WriterB.CreateAsync(pair.Root + "/y")).Error);
        await WaitForAsync(() => pair.WriterB.Events.Reader.Count > 0, TimeSpan.FromSeconds(30), $"the watch on x never fired:\n{pair.B.Log}");
        Assert.True(pair.WriterB.Events.Reader.TryRead(out var e));
        Assert.Equal((EventType.NodeDataChanged, pair.Root + "/x"), (e.Type, e.Path));
        Assert.Equal(1, (await pair.WriterB.GetDataAsync(pair.Root + "/x")).Decode<GetDataResponse>().Stat.Version);
    }

    /// <summary>
    /// Gateway A, whose writer pauses at a failpoint while the hold file exists, and gateway B on the
    /// same deployment; B's client has made <see cref="Root"/> and its child <c>x</c> (data 0).
    /// </summary>
    private sealed class HeldPair : IAsyncDisposable
    {
        public required AwsGatewayServer A { get; init; }
        public required AwsGatewayServer B { get; init; }
        public required RawZkClient WriterB { get; init; }
        public required string Hold { get; init; }
        public required string Root { get; init; }

        public static async Task<HeldPair> StartAsync(string fault, string name)
        {
            string hold = Path.Combine(Path.GetTempPath(), $"zkgw-{name}-{Guid.NewGuid():N}");
            var a = new AwsGatewayServer(UserStorageMode.KeyValue, AwsGatewayServer.FastExpiry, WritePathMode.Gateway);
            a.GatewayEnvironment["ZKGW_FAILPOINTS"] = $"{fault}=pause({hold})";
            await a.StartAsync();
            var b = new AwsGatewayServer(a);
            await b.StartAsync();
            string root = $"/{name}-{Guid.NewGuid():N}"[..24];
            var writerB = await RawZkClient.ConnectAsync(b.Port, timeoutMs: 20000);
            Assert.Equal(ErrorCode.Ok, (await writerB.CreateAsync(root)).Error);
            Assert.Equal(ErrorCode.Ok, (await writerB.CreateAsync(root + "/x", [0])).Error);
            return new HeldPair { A = a, B = b, WriterB = writerB, Hold = hold, Root = root };
        }

        /// <summary>Creates the hold file, sends A's write, and waits until A's writer holds at its failpoint.</summary>
        public async Task<Task<RawReply>> HoldAsync(Func<Task<RawReply>> send)
        {
            File.WriteAllText(Hold, "");
            var sent = send();
            await WaitForAsync(() => File.Exists(Hold + ".held"), TimeSpan.FromSeconds(30), $"gateway A never reached its hold:\n{A.Log}");
            return sent;
        }

        public async ValueTask DisposeAsync()
        {
            File.Delete(Hold);
            await WriterB.DisposeAsync();
            await B.DisposeAsync();
            await A.DisposeAsync();
        }
    }

    private static Task WaitForAsync(Func<bool> condition, TimeSpan timeout, string failure) =>
        WaitForAsync(() => Task.FromResult(condition()), timeout, failure);

    private static async Task WaitForAsync(Func<Task<bool>> condition, TimeSpan timeout, string failure)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, failure);
            await Task.Delay(100);
        }
    }
}
