using ZkGateway.Backend;
using ZkGateway.Backend.Aws;
using ZkGateway.Backend.Primitives;
using ZkGateway.Jute.Data;
using ZkGateway.Jute.Protocol;
using ZkGateway.Testing;

namespace ZkGateway.Aws.Tests;

/// <summary>
/// A gateway whose acknowledgements of its inbox fail for a while (issue 17, found by the backend-partition
/// nemesis): every DeleteMessageBatch it sends is reset, more times than the SDK retries. Its inbox loop
/// used to end on that exception, so the gateway never got another reply and every later request of its
/// clients waited forever. It must keep receiving: the writes after the failed acknowledgements are answered.
/// </summary>
public sealed class InboxAcknowledgeFaultTests
{
    [Fact]
    public async Task A_gateway_whose_inbox_acknowledgements_fail_keeps_getting_its_replies()
    {
        var settings = await AwsEmulators.NewDeploymentAsync("ack");
        await using var sqs = await FaultProxy.StartAsync(settings.SqsEndpoint!, CloudService.Sqs);
        await using var functions = await RunningFunctions.StartAsync(settings);
        // The first forty acknowledgement requests are lost: beyond the SDK's own retries of each call.
        int deletes = 0;
        sqs.Plan = call => call.Operation == "DeleteMessageBatch" && Interlocked.Increment(ref deletes) <= 40
            ? ProxyFault.DropBeforeForward
            : ProxyFault.None;
        await using var gateway = await AwsDeployment.StartGatewayAsync(settings with { SqsEndpoint = sqs.Endpoint }, RunningFunctions.GatewayOptions("gw-ack"), new IgnoredEvents());
        long session = (await gateway.CreateSessionAsync(30_000)).SessionId;

        var first = await gateway.SubmitAsync(session, new CreateOperation("/a", [1], Acl.OpenAclUnsafe, CreateMode.Persistent)).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(ErrorCode.Ok, first.Error);
        // Writes until the lost acknowledgements are behind: each is answered through the same inbox.
        for (int i = 0; i < 5; i++)
        {
            var next = await gateway.SubmitAsync(session, new SetDataOperation("/a", [(byte)i], -1)).WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(ErrorCode.Ok, next.Error);
        }
        Assert.True(sqs.Count("DeleteMessageBatch", ProxyFault.DropBeforeForward) > 0, "the gateway acknowledged nothing through the proxy");
        Assert.True(sqs.Count("DeleteMessageBatch") > 0, "no acknowledgement went through after the faults");
    }
}
