using System.Diagnostics;
using Amazon.DynamoDBv2.Model;
using Xunit.Abstractions;
using ZkGateway.Backend;
using ZkGateway.Backend.Aws;
using ZkGateway.Backend.Primitives;
using ZkGateway.Jute.Data;
using ZkGateway.Jute.Protocol;
using DynamoWrite = Amazon.DynamoDBv2.Model.WriteRequest;

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

        // Lease renewal of 100 sessions: the chosen conditional updates vs an unconditional BatchWriteItem.
        var renewals = Enumerable.Range(1, 100).Select(i => new LeaseRenewal(i, 1000 + i)).ToList();
        foreach (int parallelism in new[] { 1, 4, 16, 64 })
        {
            var store = new DynamoSessionLeases(deployment.Clients, parallelism);
            results.Add(($"Renew 100 leases (conditional UpdateItem, {parallelism} in parallel)", await MedianMsAsync(async _ => await store.RenewAsync("g", renewals))));
        }
        var puts = renewals.Select(r => new DynamoWrite
        {
            PutRequest = new PutRequest
            {
                Item = new()
                {
                    ["sessionId"] = new AttributeValue { N = r.SessionId.ToString(System.Globalization.CultureInfo.InvariantCulture) },
                    ["expiresAt"] = new AttributeValue { N = r.ExpiresAtMs.ToString(System.Globalization.CultureInfo.InvariantCulture) },
                    ["gateway"] = new AttributeValue { S = "g" },
                },
            },
        }).ToList();
        results.Add(("Renew 100 leases (BatchWriteItem 4x25, unconditional: NOT used)", await MedianMsAsync(async _ =>
        {
            for (int start = 0; start < puts.Count; start += 25)
            {
                await deployment.Clients.DynamoDb.BatchWriteItemAsync(new BatchWriteItemRequest { RequestItems = new() { [deployment.Settings.LeasesTable] = puts.GetRange(start, 25) } });
            }
        })));
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
        Assert.Equal(15, results.Count);
    }
}
