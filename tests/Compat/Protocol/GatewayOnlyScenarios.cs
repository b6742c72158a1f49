using ZkGateway.Compat.Infrastructure;
using ZkGateway.Jute.Proto;
using ZkGateway.Jute.Protocol;
using ZkGateway.Testing;

namespace ZkGateway.Compat.Protocol;

/// <summary>
/// Deliberate differences from ZooKeeper 3.8.0, each recorded in docs/compatibility.md with the
/// oracle's own behaviour asserted next to ours, so a change on either side shows up here.
/// </summary>
[Collection(CompatCollection.Name)]
public sealed class GatewayOnlyScenarios(CompatFixture targets)
{
    [Fact]
    public async Task Top_level_check_is_answered_unimplemented_where_zookeeper_3_8_0_never_answers()
    {
        await using (var zk = await RawZkClient.ConnectAsync((await targets.GetAsync(TargetKind.ZooKeeper)).Port))
        {
            var unanswered = zk.SendAsync(OpCode.Check, new CheckVersionRequest("/", -1));
            await Assert.ThrowsAsync<TimeoutException>(() => unanswered.WaitAsync(TimeSpan.FromSeconds(2)));
        }
        await using var gateway = await RawZkClient.ConnectAsync((await targets.GetAsync(TargetKind.Gateway)).Port);
        var reply = await gateway.SendAsync(OpCode.Check, new CheckVersionRequest("/", -1));
        Assert.Equal(ErrorCode.Unimplemented, reply.Error);
        await gateway.Closed.WaitAsync(TimeSpan.FromSeconds(10));
    }
}
