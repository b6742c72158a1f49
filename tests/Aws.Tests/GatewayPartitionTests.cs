using ZkGateway.Backend;
using ZkGateway.Backend.Aws;
using ZkGateway.Backend.Primitives;
using ZkGateway.Jute.Data;
using ZkGateway.Jute.Protocol;
using ZkGateway.Testing;

namespace ZkGateway.Aws.Tests;

/// <summary>
/// A partition between one gateway and the backend while its clients stay connected (issue 17): every
/// DynamoDB, S3 and SQS call of gateway A is reset by its proxies, while gateway B and the functions
/// reach the emulators. A's write during the partition must not be answered Ok before the partition
/// heals (it cannot have taken its place in the order): it waits, or is refused with
/// StorageUnavailableException (ConnectionLoss to the client), never answered with an error that says
/// it failed. B keeps writing; once healed, A writes again, A's sync+read sees B's writes, and the
/// node's version counts exactly the writes answered Ok.
/// </summary>
public sealed class GatewayPartitionTests
{
    [Fact]
    public async Task A_partitioned_gateway_answers_no_write_until_healed_and_then_catches_up()
    {
        var settings = await AwsEmulators.NewDeploymentAsync("part") with { QueueVisibilityTimeout = TimeSpan.FromSeconds(10) };
        await using var dynamo = await FaultProxy.StartAsync(settings.DynamoDbEndpoint!, CloudService.DynamoDb);
        await using var s3 = await FaultProxy.StartAsync(settings.S3Endpoint!, CloudService.S3);
        await using var sqs = await FaultProxy.StartAsync(settings.SqsEndpoint!, CloudService.Sqs);
        await using var functions = await RunningFunctions.StartAsync(settings);
        FaaSBackend? a = null, b = null;
        try
        {
            a = await AwsDeployment.StartGatewayAsync(settings with { DynamoDbEndpoint = dynamo.Endpoint, S3Endpoint = s3.Endpoint, SqsEndpoint = sqs.Endpoint },
                RunningFunctions.GatewayOptions("gw-pa"), new IgnoredEvents());
            b = await AwsDeployment.StartGatewayAsync(settings, RunningFunctions.GatewayOptions("gw-pb"), new IgnoredEvents());
            long sa = (await a.CreateSessionAsync(30_000)).SessionId;
            long sb = (await b.CreateSessionAsync(30_000)).SessionId;
            Assert.Equal(ErrorCode.Ok, (await b.SubmitAsync(sb, new CreateOperation("/p", [0], Acl.OpenAclUnsafe, CreateMode.Persistent))).Error);
            Assert.True((await a.GetDataAsync("/p", null)).IsOk);

            dynamo.Plan = s3.Plan = sqs.Plan = static _ => ProxyFault.DropBeforeForward;
            var duringPartition = a.SubmitAsync(sa, new SetDataOperation("/p", [1], -1));
            var fromB = new List<WriteResult>();
            for (int i = 0; i < 3; i++)
            {
                fromB.Add(await b.SubmitAsync(sb, new SetDataOperation("/p", [2], -1)).WaitAsync(TimeSpan.FromSeconds(30)));
            }
            await Task.Delay(TimeSpan.FromSeconds(3));
            Assert.All(fromB, r => Assert.Equal(ErrorCode.Ok, r.Error));
            Assert.True(dynamo.FaultsInjected + sqs.FaultsInjected > 0, "gateway A made no call during the partition");
            // Not answered yet, or refused as the gateway refuses a write it could not send: with
            // StorageUnavailableException, which the connection turns into ConnectionLoss.
            if (duringPartition.IsCompleted)
            {
                await Assert.ThrowsAsync<StorageUnavailableException>(() => duringPartition);
            }

            dynamo.Plan = s3.Plan = sqs.Plan = static _ => ProxyFault.None;
            var healed = await Task.WhenAny(duringPartition, Task.Delay(TimeSpan.FromSeconds(30)));
            Assert.Same(duringPartition, healed);
            bool partitionedOk = duringPartition.IsCompletedSuccessfully && (await duringPartition).Error == ErrorCode.Ok;
            var after = await a.SubmitAsync(sa, new SetDataOperation("/p", [3], -1)).WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(ErrorCode.Ok, after.Error);
            Assert.Equal(ErrorCode.Ok, (await a.SubmitAsync(sa, new SyncOperation("/p")).WaitAsync(TimeSpan.FromSeconds(30))).Error);
            var read = await a.GetDataAsync("/p", null);
            int answeredOk = 3 + 1 + (partitionedOk ? 1 : 0);
            Assert.Equal(answeredOk, read.Value!.Stat.Version);
            Assert.Equal(new byte[] { 3 }, read.Value.Data);
        }
        finally
        {
            foreach (var gateway in new[] { a, b })
            {
                if (gateway is not null)
                {
                    await gateway.DisposeAsync();
                }
            }
        }
    }
}
