using ZkGateway.Backend.Aws;
using ZkGateway.Compat.Infrastructure;
using ZkGateway.Jute.Data;
using ZkGateway.Jute.Proto;
using ZkGateway.Jute.Protocol;
using ZkGateway.Testing;

namespace ZkGateway.Compat.Durability;

/// <summary>
/// The gateway write path with a writer that dies mid-batch: gateway A is held at a failpoint and
/// killed (SIGKILL) before it reserved its batch at the write head, or after it reserved it and before
/// applying any of it. Gateway B then writes: a batch reserved by A is applied by B (exactly once, all
/// of it: a multi with a setData, a sequential create and an ephemeral create), one A never reserved
/// is not there at all; B's own write follows it, and A's client's ephemeral goes when its session
/// expires.
/// </summary>
[Collection(CompatCollection.Name)]
public sealed class GatewayWriterCrashTests
{

    [Theory]
    [InlineData("writer-before-commit", false)]
    [InlineData("writer-after-commit", true)]
    public async Task A_gateway_killed_mid_write_leaves_its_batch_whole_or_absent(string fault, bool reserved)
    {
        string hold = Path.Combine(Path.GetTempPath(), $"zkgw-gwcrash-{Guid.NewGuid():N}");
        await using var a = new AwsGatewayServer(UserStorageMode.KeyValue, AwsGatewayServer.FastExpiry, WritePathMode.Gateway);
        a.GatewayEnvironment["ZKGW_FAILPOINTS"] = $"{fault}=pause({hold})";
        await a.StartAsync();
        await using var b = new AwsGatewayServer(a);
        await b.StartAsync();
        try
        {
            string root = $"/gwcrash-{Guid.NewGuid():N}"[..24];
            await using var writerB = await RawZkClient.ConnectAsync(b.Port, timeoutMs: 20000);
            Assert.Equal(ErrorCode.Ok, (await writerB.CreateAsync(root)).Error);
            Assert.Equal(ErrorCode.Ok, (await writerB.CreateAsync(root + "/x", [0])).Error);
            await using var writerA = await RawZkClient.ConnectAsync(a.Port, timeoutMs: 4000);

            File.WriteAllText(hold, "");
            var multi = writerA.SendAsync(OpCode.Multi, new MultiRequest(
            [
                new MultiOp(OpCode.SetData, new SetDataRequest(root + "/x", [1], -1)),
                new MultiOp(OpCode.Create, new CreateRequest(root + "/s-", [], Acl.OpenAclUnsafe, CreateMode.PersistentSequential)),
                new MultiOp(OpCode.Create, new CreateRequest(root + "/e", [], Acl.OpenAclUnsafe, CreateMode.Ephemeral)),
            ]));
            await WaitForAsync(() => File.Exists(hold + ".held"), TimeSpan.FromSeconds(30), $"gateway A never reached {fault}:\n{a.Log}");
            await a.KillAsync();
            await Assert.ThrowsAnyAsync<Exception>(() => multi.WaitAsync(TimeSpan.FromSeconds(30)));

            // B's write finds the head where A left it: A's reserved batch is applied first, once.
            var set = await writerB.SetDataAsync(root + "/x", [2]);
            Assert.Equal(ErrorCode.Ok, set.Error);
            var x = await writerB.GetDataAsync(root + "/x");
            Assert.Equal(new byte[] { 2 }, x.Decode<GetDataResponse>().Data);
            Assert.Equal(reserved ? 2 : 1, x.Decode<GetDataResponse>().Stat.Version);
            var children = (await writerB.GetChildrenAsync(root)).Decode<GetChildrenResponse>().Children!.Order(StringComparer.Ordinal).ToList();
            Assert.Equal(reserved ? ["e", "s-0000000001", "x"] : ["x"], children);
            if (reserved)
            {
                Assert.Contains("that its writer left unapplied at the write head", b.Log);
                Assert.True(set.Header.Zxid > x.Decode<GetDataResponse>().Stat.Czxid);

                // A is dead: B's takeover expires A's client's session (4 s) and its ephemeral goes.
                await WaitForAsync(async () => (await writerB.ExistsAsync(root + "/e")).Error == ErrorCode.NoNode, TimeSpan.FromSeconds(60), $"the dead gateway's ephemeral stayed:\n{b.Log}");
            }
        }
        finally
        {
            File.Delete(hold);
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
        string hold = Path.Combine(Path.GetTempPath(), $"zkgw-gwstall-{Guid.NewGuid():N}");
        await using var a = new AwsGatewayServer(UserStorageMode.KeyValue, AwsGatewayServer.FastExpiry, WritePathMode.Gateway);
        a.GatewayEnvironment["ZKGW_FAILPOINTS"] = $"writer-after-commit=pause({hold})";
        await a.StartAsync();
        await using var b = new AwsGatewayServer(a);
        await b.StartAsync();
        try
        {
            string root = $"/gwstall-{Guid.NewGuid():N}"[..24];
            await using var writerB = await RawZkClient.ConnectAsync(b.Port, timeoutMs: 20000);
            Assert.Equal(ErrorCode.Ok, (await writerB.CreateAsync(root)).Error);
            Assert.Equal(ErrorCode.Ok, (await writerB.CreateAsync(root + "/x", [0])).Error);
            await using var writerA = await RawZkClient.ConnectAsync(a.Port, timeoutMs: 30000);

            File.WriteAllText(hold, "");
            var stalled = writerA.SendAsync(OpCode.Multi, new MultiRequest(
            [
                new MultiOp(OpCode.SetData, new SetDataRequest(root + "/x", [1], -1)),
                new MultiOp(OpCode.Create, new CreateRequest(root + "/y", [1], Acl.OpenAclUnsafe, CreateMode.Persistent)),
            ]));
            await WaitForAsync(() => File.Exists(hold + ".held"), TimeSpan.FromSeconds(30), $"gateway A never reached its hold:\n{a.Log}");

            // B applies A's batch, then changes both nodes and deletes one.
            Assert.Equal(ErrorCode.Ok, (await writerB.SetDataAsync(root + "/x", [2])).Error);
            Assert.Equal(ErrorCode.Ok, (await writerB.DeleteAsync(root + "/y")).Error);

            File.Delete(hold);
            var reply = await stalled.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(ErrorCode.Ok, reply.Error);
            Assert.All(reply.Decode<MultiResponse>().Results, r => Assert.Equal(ErrorCode.Ok, r.Err));

            var x = (await writerB.GetDataAsync(root + "/x")).Decode<GetDataResponse>();
            Assert.Equal(new byte[] { 2 }, x.Data);
            Assert.Equal(2, x.Stat.Version);
            Assert.Equal(ErrorCode.NoNode, (await writerB.ExistsAsync(root + "/y")).Error);
            Assert.Equal(["x"], (await writerB.GetChildrenAsync(root)).Decode<GetChildrenResponse>().Children);

            // A's writer caught up: its next write is on top of B's.
            Assert.Equal(ErrorCode.Ok, (await writerA.SetDataAsync(root + "/x", [3], version: 2)).Error);
            Assert.Equal(3, (await writerB.GetDataAsync(root + "/x")).Decode<GetDataResponse>().Stat.Version);
        }
        finally
        {
            File.Delete(hold);
        }
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
        string hold = Path.Combine(Path.GetTempPath(), $"zkgw-gwabort-{Guid.NewGuid():N}");
        await using var a = new AwsGatewayServer(UserStorageMode.KeyValue, AwsGatewayServer.FastExpiry, WritePathMode.Gateway);
        a.GatewayEnvironment["ZKGW_FAILPOINTS"] = $"writer-after-commit=pause({hold})";
        await a.StartAsync();
        await using var b = new AwsGatewayServer(a);
        await b.StartAsync();
        try
        {
            string root = $"/gwabort-{Guid.NewGuid():N}"[..24];
            await using var writerB = await RawZkClient.ConnectAsync(b.Port, timeoutMs: 20000);
            Assert.Equal(ErrorCode.Ok, (await writerB.CreateAsync(root)).Error);
            Assert.Equal(ErrorCode.Ok, (await writerB.CreateAsync(root + "/x", [0])).Error);
            await using var writerA = await RawZkClient.ConnectAsync(a.Port, timeoutMs: 4000);

            File.WriteAllText(hold, "");
            var lost = writerA.SetDataAsync(root + "/x", [1]);
            await WaitForAsync(() => File.Exists(hold + ".held"), TimeSpan.FromSeconds(30), $"gateway A never reached its hold:\n{a.Log}");
            await a.KillAsync();
            await Assert.ThrowsAnyAsync<Exception>(() => lost.WaitAsync(TimeSpan.FromSeconds(30)));

            var set = await writerB.SetDataAsync(root + "/x", [2]);
            Assert.Equal(ErrorCode.Ok, set.Error);
            Assert.Equal(1, set.Decode<SetDataResponse>().Stat.Version);
            var x = (await writerB.GetDataAsync(root + "/x")).Decode<GetDataResponse>();
            Assert.Equal(("02", 1), (Convert.ToHexString(x.Data!), x.Stat.Version));
            Assert.Contains("that its writer left at the write head before writing its node", b.Log);
        }
        finally
        {
            File.Delete(hold);
        }
    }

    /// <summary>
    /// The same single write with A's writer stalled, not killed: B aborts it and writes on; A wakes,
    /// finds its node fenced, and prepares its write again after B's, which its client's reply shows.
    /// </summary>
    [Fact]
    public async Task A_stalled_single_write_that_another_writer_aborted_is_made_again_after_its_writes()
    {
        string hold = Path.Combine(Path.GetTempPath(), $"zkgw-gwredo-{Guid.NewGuid():N}");
        await using var a = new AwsGatewayServer(UserStorageMode.KeyValue, AwsGatewayServer.FastExpiry, WritePathMode.Gateway);
        a.GatewayEnvironment["ZKGW_FAILPOINTS"] = $"writer-after-commit=pause({hold})";
        await a.StartAsync();
        await using var b = new AwsGatewayServer(a);
        await b.StartAsync();
        try
        {
            string root = $"/gwredo-{Guid.NewGuid():N}"[..24];
            await using var writerB = await RawZkClient.ConnectAsync(b.Port, timeoutMs: 20000);
            Assert.Equal(ErrorCode.Ok, (await writerB.CreateAsync(root)).Error);
            Assert.Equal(ErrorCode.Ok, (await writerB.CreateAsync(root + "/x", [0])).Error);
            await using var writerA = await RawZkClient.ConnectAsync(a.Port, timeoutMs: 30000);

            File.WriteAllText(hold, "");
            var stalled = writerA.SetDataAsync(root + "/x", [1]);
            await WaitForAsync(() => File.Exists(hold + ".held"), TimeSpan.FromSeconds(30), $"gateway A never reached its hold:\n{a.Log}");
            Assert.Equal(1, (await writerB.SetDataAsync(root + "/x", [2])).Decode<SetDataResponse>().Stat.Version);

            File.Delete(hold);
            var reply = await stalled.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(ErrorCode.Ok, reply.Error);
            Assert.Equal(2, reply.Decode<SetDataResponse>().Stat.Version);
            var x = (await writerB.GetDataAsync(root + "/x")).Decode<GetDataResponse>();
            Assert.Equal(("01", 2), (Convert.ToHexString(x.Data!), x.Stat.Version));
            Assert.Contains("aborted this writer's batch", a.Log);
        }
        finally
        {
            File.Delete(hold);
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
