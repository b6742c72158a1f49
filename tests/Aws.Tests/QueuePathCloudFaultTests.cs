using ZkGateway.Backend;
using ZkGateway.Backend.Aws;
using ZkGateway.Backend.Primitives;
using ZkGateway.Jute.Data;
using ZkGateway.Jute.Protocol;
using Xunit.Abstractions;
using ZkGateway.Testing;

namespace ZkGateway.Aws.Tests;

/// <summary>
/// The queue path (two gateways, the writer and distributor functions) with every DynamoDB, S3 and
/// SQS call of the functions and the gateways through fault proxies (issue 17's cloud faults): calls
/// throttled, failing with 500 or 503, reset before they arrive, or carried out with the answer lost.
/// On SQS a lost answer is a message sent that the SDK sends again (the FIFO queue's deduplication id
/// must catch it), a receive whose messages nobody saw (they come back once their visibility lapses:
/// a late delivery), or a delete that the SDK repeats. Each create must be answered once and applied
/// once, and what was answered Ok must be exactly what the tree holds, with its data.
/// </summary>
public sealed class QueuePathCloudFaultTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(UserStorageMode.KeyValue)]
    [InlineData(UserStorageMode.Persistent)]
    public async Task Two_gateways_lose_and_repeat_nothing_through_cloud_faults(UserStorageMode mode)
    {
        var settings = await AwsEmulators.NewDeploymentAsync("qfault") with { UserStorage = mode, QueueVisibilityTimeout = TimeSpan.FromSeconds(10) };
        await using var dynamo = await FaultProxy.StartAsync(settings.DynamoDbEndpoint!, CloudService.DynamoDb);
        await using var s3 = await FaultProxy.StartAsync(settings.S3Endpoint!, CloudService.S3);
        await using var sqs = await FaultProxy.StartAsync(settings.SqsEndpoint!, CloudService.Sqs);
        var proxied = settings with { DynamoDbEndpoint = dynamo.Endpoint, S3Endpoint = s3.Endpoint, SqsEndpoint = sqs.Endpoint };
        await using var functions = await RunningFunctions.StartAsync(settings, proxied);
        var gateways = new List<FaaSBackend>();
        try
        {
            foreach (string id in new[] { "gw-qa", "gw-qb" })
            {
                gateways.Add(await AwsDeployment.StartGatewayAsync(proxied, RunningFunctions.GatewayOptions(id), new IgnoredEvents()));
            }
            var sessions = new List<long>();
            foreach (var gateway in gateways)
            {
                sessions.Add((await gateway.CreateSessionAsync(30_000)).SessionId);
            }
            Assert.Equal(ErrorCode.Ok, (await gateways[0].SubmitAsync(sessions[0], new CreateOperation("/seq", [], Acl.OpenAclUnsafe, CreateMode.Persistent))).Error);

            var random = new Random(23);
            ProxyFault Pick(ProxiedCall call)
            {
                double x;
                lock (random)
                {
                    x = random.NextDouble();
                }
                // Long polls that find nothing are most of SQS's calls: fault the ones that matter more often.
                if (call.Service == CloudService.Sqs && call.Operation is "ReceiveMessage")
                {
                    x *= 2;
                }
                return x switch
                {
                    < 0.04 => ProxyFault.Throttle,
                    < 0.06 => ProxyFault.InternalError,
                    < 0.07 => ProxyFault.Unavailable,
                    < 0.09 => ProxyFault.DropBeforeForward,
                    < 0.14 => ProxyFault.DropAfterForward,
                    _ => ProxyFault.None,
                };
            }
            dynamo.Plan = Pick;
            s3.Plan = Pick;
            sqs.Plan = Pick;

            var creates = new List<Task<WriteResult>>();
            for (int i = 0; i < 15; i++)
            {
                for (int g = 0; g < 2; g++)
                {
                    byte[] data = i % 3 == 0 ? new byte[3000] : [(byte)g];
                    creates.Add(gateways[g].SubmitAsync(sessions[g], new CreateOperation("/seq/n-", data, Acl.OpenAclUnsafe, CreateMode.PersistentSequential)));
                }
            }
            var results = await Task.WhenAll(creates).WaitAsync(TimeSpan.FromSeconds(240));
            dynamo.Plan = sqs.Plan = s3.Plan = static _ => ProxyFault.None;

            foreach (var proxy in new[] { dynamo, s3, sqs })
            {
                output.WriteLine($"{proxy.Service}: {string.Join(", ", proxy.Counts.OrderBy(c => c.Key).Select(c => $"{c.Key} {c.Value}"))}");
            }
            output.WriteLine($"answers: {string.Join(", ", results.GroupBy(r => r.Error).Select(g => $"{g.Key} {g.Count()}"))}");
            Assert.True(dynamo.FaultsInjected > 0 && sqs.FaultsInjected > 0, "no faults were injected");
            var ok = results.Where(r => r.Error == ErrorCode.Ok).ToList();
            var okNames = ok.Select(r => r.Result!.Path!).ToList();
            Assert.Equal(okNames.Count, okNames.Distinct().Count());
            Assert.Equal(ok.Count, ok.Select(r => r.Zxid).Distinct().Count());
            var children = await gateways[1].GetChildrenAsync("/seq", null);
            var listed = children.Value!.Children.Select(c => "/seq/" + c).ToHashSet();
            output.WriteLine($"missing: {string.Join(", ", okNames.Where(n => !listed.Contains(n)).Select(n => n + " zxid " + ok.First(r => r.Result!.Path == n).Zxid.ToString("x")))}");
            output.WriteLine($"extra: {string.Join(", ", listed.Where(n => !okNames.Contains(n)))}");
            // Every answer reaches its gateway here, so an error must mean the create did not happen.
            Assert.Equal(okNames.ToHashSet(), children.Value!.Children.Select(c => "/seq/" + c).ToHashSet());
            for (int k = 0; k < results.Length; k++)
            {
                if (results[k].Error == ErrorCode.Ok)
                {
                    var node = await gateways[k % 2].GetDataAsync(results[k].Result!.Path!, null);
                    Assert.Equal(k / 2 % 3 == 0 ? 3000 : 1, node.Value!.Data!.Length);
                }
            }
        }
        finally
        {
            foreach (var gateway in gateways)
            {
                await gateway.DisposeAsync();
            }
        }
    }
}
