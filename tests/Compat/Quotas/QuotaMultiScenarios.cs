using System.Text;
using ZkGateway.Compat.Infrastructure;
using ZkGateway.Jute.Data;
using ZkGateway.Jute.Proto;
using ZkGateway.Jute.Protocol;
using ZkGateway.Testing;

namespace ZkGateway.Compat.Quotas;

/// <summary>
/// QuotaExceeded inside multi with zookeeper.enforceQuota=true, on the wire. ZooKeeper 3.8.0 checks
/// each operation against the applied tree, not against the multi's own earlier operations: two
/// creates that each fit pass together even when both do not fit.
/// </summary>
[Collection(QuotaEnforcementCollection.Name)]
public sealed class QuotaMultiScenarios(QuotaEnforcementFixture fixture)
{
    [Theory]
    [InlineData(TargetKind.ZooKeeper)]
    [InlineData(TargetKind.Gateway)]
    [InlineData(TargetKind.AwsGateway)]
    [InlineData(TargetKind.AwsGatewayWrites)]
    public async Task Multi_checks_each_create_and_setData_against_the_applied_usage(TargetKind target)
    {
        await using var c = await fixture.ConnectAsync(target);
        string root = ZkCli.NewPrefix();
        Assert.Equal(ErrorCode.Ok, (await c.CreateAsync(root, Encoding.UTF8.GetBytes("root"))).Error);
        // What zkCli's setquota -N 3 -B 12 creates (a hard count of 3 nodes and 12 bytes).
        await CreatePathAsync(c, "/zookeeper/quota" + root);
        Assert.Equal(ErrorCode.Ok, (await c.CreateAsync($"/zookeeper/quota{root}/zookeeper_limits", Encoding.UTF8.GetBytes("count=-1,bytes=-1=;byteHardLimit=12;countHardLimit=3"))).Error);
        Assert.Equal(ErrorCode.Ok, (await c.CreateAsync($"/zookeeper/quota{root}/zookeeper_stats", Encoding.UTF8.GetBytes("count=0,bytes=0"))).Error);
        Assert.Equal("count=1,bytes=4", await StatsAsync(c, root));

        // Two creates, each within the count against the applied usage (1 + 1 ≤ 3): both pass.
        Assert.Equal([ErrorCode.Ok, ErrorCode.Ok], await MultiAsync(c, Create(root + "/a"), Create(root + "/b")));
        Assert.Equal("count=3,bytes=4", await StatsAsync(c, root));
        // A fourth node: QuotaExceeded on that op, the rest rolled back.
        Assert.Equal([ErrorCode.Ok, ErrorCode.QuotaExceeded], await MultiAsync(c, SetData(root + "/a", "1"), Create(root + "/c")));
        Assert.Equal(ErrorCode.NoNode, (await c.ExistsAsync(root + "/c")).Error);
        Assert.Equal(ErrorCode.Ok, (await c.DeleteAsync(root + "/b")).Error);
        // Two creates after a delete: each fits the applied count of 2, together they pass the limit.
        Assert.Equal([ErrorCode.Ok, ErrorCode.Ok], await MultiAsync(c, Create(root + "/x"), Create(root + "/y")));
        Assert.Equal("count=4,bytes=4", await StatsAsync(c, root));
        // Bytes: each setData of 8 bytes fits 4 + 8 ≤ 12 alone; the second is checked against the same applied 4.
        Assert.Equal([ErrorCode.Ok, ErrorCode.Ok], await MultiAsync(c, SetData(root + "/x", "12345678"), SetData(root + "/y", "12345678")));
        Assert.Equal("count=4,bytes=20", await StatsAsync(c, root));
        Assert.Equal([ErrorCode.QuotaExceeded, ErrorCode.RuntimeInconsistency], await MultiAsync(c, SetData(root + "/a", "1"), SetData(root + "/x", "1")));
        Assert.Equal(ErrorCode.QuotaExceeded, (await c.SetDataAsync(root + "/a", [1])).Error);
        Assert.Equal(ErrorCode.QuotaExceeded, (await c.CreateAsync(root + "/z")).Error);
    }

    private static MultiOp Create(string path) => new(OpCode.Create, new CreateRequest(path, [], Acl.OpenAclUnsafe, CreateMode.Persistent));

    private static MultiOp SetData(string path, string data) => new(OpCode.SetData, new SetDataRequest(path, Encoding.UTF8.GetBytes(data), -1));

    private static async Task<ErrorCode[]> MultiAsync(RawZkClient c, params MultiOp[] ops)
    {
        var reply = await c.SendAsync(OpCode.Multi, new MultiRequest(ops));
        return [.. reply.Decode<MultiResponse>().Results.Select(r => r.Type == OpCode.Error ? r.Err : ErrorCode.Ok)];
    }

    private static async Task<string> StatsAsync(RawZkClient c, string root)
    {
        var reply = await c.GetDataAsync($"/zookeeper/quota{root}/zookeeper_stats");
        Assert.Equal(ErrorCode.Ok, reply.Error);
        return Encoding.UTF8.GetString(reply.Decode<GetDataResponse>().Data ?? []);
    }

    private static async Task CreatePathAsync(RawZkClient c, string path)
    {
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        for (int i = 1; i <= parts.Length; i++)
        {
            await c.CreateAsync("/" + string.Join('/', parts[..i]));
        }
    }
}
