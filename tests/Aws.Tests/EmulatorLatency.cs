using System.Diagnostics;
using Amazon.DynamoDBv2.Model;
using Xunit.Abstractions;
using ZkGateway.Backend;
using ZkGateway.Backend.Aws;
using ZkGateway.Backend.Primitives;
using ZkGateway.Jute.Data;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.Aws.Tests;

/// <summary>
/// Per-call latency of the primitives on the emulators, for the docs: reported (test output and
/// TestResults/aws-emulator-latency.txt), never asserted. Run with
/// <c>dotnet test tests/Aws.Tests --filter EmulatorLatency --logger "console;verbosity=detailed"</c>.
/// </summary>
public sealed class EmulatorLatency(ITestOutputHelper output)
{
    private const int Samples = 100;

    private static async Task<double> MedianMsAsync(Func<int, Task> call)
    {
        await call(-1);   // warm the connection and the JIT
        var times = new double[Samples];
        for (int i = 0; i < Samples; i++)
        {
            long start = Stopwatch.GetTimestamp();
            await call(i);
            times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
        Array.Sort(times);
        return times[Samples / 2];
    }

    [Fact]
    public async Task Measure_median_latency_of_the_primitives()
    {
        await using var deployment = await EmulatorDeployment.CreateAsync("lat");
        var storage = new DynamoSystemStorage(deployment.Clients);
        var leases = new DynamoSessionLeases(deployment.Clients);
        var results = new List<(string Name, double Ms)>();
        var lease = TimeSpan.FromSeconds(7);

        results.Add(("TryLock (UpdateItem, ALL_NEW)", await MedianMsAsync(async i =>
            await storage.TryLockAsync($"/lock{i}", LockToken.New(), lease))));
        results.Add(("TryLock + Unlock of a missing node (UpdateItem + DeleteItem)", await MedianMsAsync(async i =>
        {
            var token = LockToken.New();
            await storage.TryLockAsync($"/unlock{i}", token, lease);
            await storage.UnlockAsync($"/unlock{i}", token);
        })));

        // Commit alone: lock first (not timed), then one TransactWriteItems (node + pending).
        var commitTimes = new List<double>();
        for (int i = 0; i < Samples + 1; i++)
        {
            var token = LockToken.New();
            string path = $"/commit{i}";
            await storage.TryLockAsync(path, token, lease);
            var node = new SystemNode(path, new Stat(i, i, 1, 1, 0, 0, 0, 0, 0, 0, i), Acl.OpenAclUnsafe);
            var txn = new Txn(i + 1, 1, 0, null, new WriteResult(ErrorCode.Ok, i + 1), [new NodeChange(NodeChangeKind.Put, path, node.Stat, new byte[100])], []);
            long start = Stopwatch.GetTimestamp();
            await storage.CommitAsync([new CommitRequest(token, [path], [new SystemNodeWrite(path, node)], null, 0, txn)]);
            if (i > 0)
            {
                commitTimes.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }
        }
        commitTimes.Sort();
        results.Add(("Commit, 1 node + pending (TransactWriteItems)", commitTimes[Samples / 2]));

        results.Add(("IncrementCounter (UpdateItem ADD)", await MedianMsAsync(async _ => await storage.IncrementCounterAsync("zxid"))));
        results.Add(("GetNode (GetItem, consistent)", await MedianMsAsync(async i => await storage.GetNodeAsync($"/commit{Math.Max(i, 0)}"))));

        // A gateway's lease calls: one claim per session it takes, one liveness renewal per period for all.
        results.Add(("Claim a lease (conditional UpdateItem)", await MedianMsAsync(async i => await leases.ClaimAsync("g#lat", 20_000 + i, 4000))));
        results.Add(("Renew a gateway's liveness (UpdateItem of the gateways item)", await MedianMsAsync(async i => await leases.RenewGatewayAsync("g#lat", 1000 + i))));
        results.Add(("List every gateway's liveness (GetItem)", await MedianMsAsync(async _ => await leases.ListGatewaysAsync())));
        results.Add(("TryMarkClosing (conditional UpdateItem)", await MedianMsAsync(async i => await leases.TryMarkClosingAsync(10_000 + i, null))));

        string url = await SqsQueues.CreateFifoAsync(deployment.Clients.Sqs, $"{deployment.Settings.DeploymentName}-lat.fifo");
        using var queue = new SqsOrderedQueue<TestMessage>(deployment.Clients, url, new TestMessageCodec());
        var payload = new byte[200];
        results.Add(("SQS send 1 message (SendMessageBatch)", await MedianMsAsync(async i => await queue.SendAsync(new TestMessage($"s{i}", payload)))));
        results.Add(("SQS receive + ack 1 message", await MedianMsAsync(async _ =>
        {
            var batch = await queue.ReceiveBatchAsync(1);
            await queue.AcknowledgeAsync(batch);
        })));
        results.Add(("SQS send 10 messages (one SendMessageBatch)", await MedianMsAsync(async i =>
            await queue.SendBatchAsync([.. Enumerable.Range(0, 10).Select(k => new TestMessage($"b{i}-{k}", payload))]))));
        results.Add(("SQS send -> receive -> ack round trip", await MedianMsAsync(async i =>
        {
            // Drain the batches sent above first (not timed in spirit: at most one call each).
            await queue.SendAsync(new TestMessage($"r{i}", payload));
            while (true)
            {
                var batch = await queue.ReceiveBatchAsync(10);
                await queue.AcknowledgeAsync(batch);
                if (batch.Messages.Any(m => m.Id == $"r{i}"))
                {
                    break;
                }
            }
        })));

        var lines = results.Select(r => $"{r.Name,-66} median {r.Ms,7:F2} ms").ToList();
        foreach (string line in lines)
        {
            output.WriteLine(line);
        }
        string file = Path.Combine(AppContext.BaseDirectory, "aws-emulator-latency.txt");
        await File.WriteAllLinesAsync(file, [$"# {DateTime.UtcNow:u}, median of {Samples} sequential calls, emulators on 127.0.0.1", .. lines]);
        output.WriteLine("written to " + file);
        Assert.Equal(13, results.Count);
    }
}
