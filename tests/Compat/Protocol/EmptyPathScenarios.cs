using ZkGateway.Compat.Infrastructure;
using ZkGateway.Jute.Proto;
using ZkGateway.Jute.Protocol;
using ZkGateway.Testing;

namespace ZkGateway.Compat.Protocol;

/// <summary>
/// getAllChildrenNumber of the empty path "" (issue 15, item 6). 3.8.0 keys the root under "" as well as
/// "/" and counts the keys that start with path + "/": for "" every node but that alias, the root
/// included, so one more than for "/". Compared with the count of "/" taken just before and after on the
/// same server, so other tests' nodes do not matter.
/// </summary>
[Collection(CompatCollection.Name)]
public sealed class EmptyPathScenarios(CompatFixture targets)
{
    [Theory]
    [InlineData(TargetKind.ZooKeeper)]
    [InlineData(TargetKind.Gateway)]
    [InlineData(TargetKind.AwsGateway)]
    public async Task GetAllChildrenNumber_of_the_empty_path_counts_the_root_as_well(TargetKind target)
    {
        await using var c = await targets.ConnectAsync(target);
        // A node another test left may still go (an ephemeral whose session expires): retry until the
        // count of "/" is the same on both sides of the read of "".
        for (int attempt = 0; ; attempt++)
        {
            int before = await CountAsync(c, "/");
            int empty = await CountAsync(c, "");
            int after = await CountAsync(c, "/");
            if (before == after || attempt == 20)
            {
                Assert.Equal(before, after);
                Assert.Equal(before + 1, empty);
                return;
            }
        }
    }

    private static async Task<int> CountAsync(RawZkClient c, string path)
    {
        var reply = await c.SendAsync(OpCode.GetAllChildrenNumber, new GetAllChildrenNumberRequest(path));
        Assert.True(reply.Error == ErrorCode.Ok, $"getAllChildrenNumber(\"{path}\"): {reply.Error}");
        return reply.Decode<GetAllChildrenNumberResponse>().TotalNumber;
    }
}
