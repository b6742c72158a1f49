using ZkGateway.Compat.Infrastructure;
using ZkGateway.Jute.Proto;
using ZkGateway.Jute.Protocol;
using ZkGateway.Testing;

namespace ZkGateway.Compat.Durability;

/// <summary>
/// A writer function killed mid-batch on the serverless backend (the AWS provider set on the
/// emulators): between taking its locks and committing, or between committing and pushing to the
/// distributor. The batch comes back when its receive lease lapses (2 s) and a restarted function
/// host finishes it: every acknowledged write is there exactly once (no loss, no duplicate), and the
/// client gets one reply per request, in order.
/// </summary>
[Collection(CompatCollection.Name)]
public sealed class WriterCrashTests
{
    [Theory]
    [InlineData("writer-before-commit")]
    [InlineData("writer-after-commit")]
    public async Task A_writer_killed_mid_batch_loses_and_duplicates_nothing(string fault)
    {
        await using var server = new AwsGatewayServer();
        await server.StartAsync();
        string root = $"/crash-{Guid.NewGuid():N}"[..24];
        await using var client = await RawZkClient.ConnectAsync(server.Port, timeoutMs: 40000);
        Assert.Equal(ErrorCode.Ok, (await client.CreateAsync(root, [0])).Error);

        // The next batch with a commit kills the function host at the failpoint (docs/failpoints.md).
        await server.KillFunctionsAsync();
        await server.StartFunctionsAsync(new Dictionary<string, string> { ["ZKGW_FAILPOINTS"] = $"{fault}=kill" });

        // Pipelined: three sets of one node, three sequential creates, then a read.
        var sent = new List<Task<RawReply>>();
        for (int i = 1; i <= 3; i++)
        {
            sent.Add(client.SetDataAsync(root, [(byte)i]));
        }
        for (int i = 0; i < 3; i++)
        {
            sent.Add(client.CreateAsync(root + "/s-", [(byte)i], CreateMode.PersistentSequential));
        }
        sent.Add(client.GetDataAsync(root));

        Assert.True(await server.WaitForFunctionsExitAsync(TimeSpan.FromSeconds(60)), $"the fault was not hit:\n{server.FunctionsLog}");
        Assert.Contains($"failpoint {fault}: kill", server.FunctionsLog);
        await server.StartFunctionsAsync();

        var replies = await Task.WhenAll(sent).WaitAsync(TimeSpan.FromSeconds(90));
        Assert.All(replies, r => Assert.Equal(ErrorCode.Ok, r.Error));
        // One reply per request, zxids growing: nothing was answered twice or out of order.
        var zxids = replies.Take(6).Select(r => r.Header.Zxid).ToList();
        Assert.True(zxids.SequenceEqual(zxids.Order()), $"reply zxids {string.Join(",", zxids)}; paths {string.Join(",", replies.Skip(3).Take(3).Select(r => r.Decode<CreateResponse>().Path))}\n{server.FunctionsLog}");
        Assert.Equal(zxids.Count, zxids.Distinct().Count());

        var stat = replies[^1].Decode<GetDataResponse>().Stat;
        Assert.Equal(3, stat.Version);
        Assert.Equal(new byte[] { 3 }, replies[^1].Decode<GetDataResponse>().Data);
        var children = (await client.SendAsync(OpCode.GetChildren, new GetChildrenRequest(root, false))).Decode<GetChildrenResponse>().Children;
        Assert.Equal(["s-0000000000", "s-0000000001", "s-0000000002"], children!.Order(StringComparer.Ordinal));
    }
}
