using System.Text;
using ZkGateway.Backend.Aws;
using ZkGateway.Compat.Infrastructure;
using ZkGateway.Jute.Proto;
using ZkGateway.Jute.Protocol;
using ZkGateway.Testing;

namespace ZkGateway.Compat.Quotas;

/// <summary>
/// The distributor skips the read of /zookeeper/quota while it knows there is no quota
/// (<c>NoQuotaMemo</c>). On the gateway write path each gateway applies its own batches, so a quota
/// that another gateway sets must still count this gateway's very next write.
/// </summary>
[Collection(CompatCollection.Name)]
public sealed class QuotaFromAnotherGatewayScenarios
{
    [Fact]
    public async Task A_setquota_on_another_gateway_counts_the_next_write_here()
    {
        await using var a = new AwsGatewayServer(UserStorageMode.KeyValue, writePath: WritePathMode.Gateway);
        await a.StartAsync();
        await using var b = new AwsGatewayServer(a);
        await b.StartAsync();
        await using var onA = await RawZkClient.ConnectAsync(a.Port);
        await using var onB = await RawZkClient.ConnectAsync(b.Port);
        string root = ZkCli.NewPrefix();
        Assert.Equal(ErrorCode.Ok, (await onA.CreateAsync(root, "12345"u8.ToArray())).Error);
        Assert.Equal(ErrorCode.Ok, (await onA.CreateAsync(root + "/x")).Error);
        // Batches of a's own, one after the other, with no quota anywhere: what a's distributor remembers.
        for (int i = 0; i < 5; i++)
        {
            Assert.Equal(ErrorCode.Ok, (await onA.SetDataAsync(root + "/x", new byte[i + 1])).Error);
        }

        // What zkCli's setquota -n 10 creates, through b (b's distributor counts the subtree: 2 nodes, 10 bytes).
        Assert.Equal(ErrorCode.Ok, (await onB.CreateAsync("/zookeeper/quota" + root)).Error);
        Assert.Equal(ErrorCode.Ok, (await onB.CreateAsync($"/zookeeper/quota{root}/zookeeper_limits", "count=10,bytes=-1"u8.ToArray())).Error);
        Assert.Equal(ErrorCode.Ok, (await onB.CreateAsync($"/zookeeper/quota{root}/zookeeper_stats", "count=0,bytes=0"u8.ToArray())).Error);
        Assert.Equal("count=2,bytes=10", await StatsAsync(onA, root));

        // a's next batch: counted under b's quota.
        Assert.Equal(ErrorCode.Ok, (await onA.CreateAsync(root + "/y", "abc"u8.ToArray())).Error);
        Assert.Equal("count=3,bytes=13", await StatsAsync(onA, root));
        Assert.Equal(ErrorCode.Ok, (await onA.SetDataAsync(root + "/y", "abcdef"u8.ToArray())).Error);
        Assert.Equal("count=3,bytes=16", await StatsAsync(onB, root));
    }

    private static async Task<string> StatsAsync(RawZkClient client, string root)
    {
        var reply = await client.GetDataAsync($"/zookeeper/quota{root}/zookeeper_stats");
        Assert.Equal(ErrorCode.Ok, reply.Error);
        return Encoding.UTF8.GetString(reply.Decode<GetDataResponse>().Data ?? []);
    }
}
