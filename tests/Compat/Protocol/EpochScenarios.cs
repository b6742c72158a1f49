using ZkGateway.Compat.Infrastructure;
using ZkGateway.Jute.Proto;
using ZkGateway.Jute.Protocol;
using ZkGateway.Testing;

namespace ZkGateway.Compat.Protocol;

/// <summary>
/// Watch event before data across paths, on the wire (issue 3, docs/serverless.md): two gateway
/// processes on one serverless deployment. A client on gateway A watches /a; a client on gateway B
/// sets /a, then /b, while A's inbox handling is held (the ZKGW_TEST_INBOX_HOLD hook: nothing A
/// received is handled while the file exists). The watcher's getData of /b must stay unanswered
/// until the inbox is released, and the NodeDataChanged event of /a must reach the client before
/// the reply that shows /b's new data. The same for an exists of /b after another client deleted it
/// (a NoNode answer carries no stamp: the gateway asks the epoch ledger). Gateway-only: real
/// ZooKeeper has no inbox to hold.
/// </summary>
[Collection(CompatCollection.Name)]
public sealed class EpochScenarios
{
    // The wait's bound is not what these tests check (Aws.Tests/EpochStampTests has the bound): with the
    // default 2 s, a loaded CI machine could take longer than the ~0.5 s between the hold's release
    // and the bound to handle the inbox, and the read would be answered before its event (seen once).
    private static readonly KeyValuePair<string, string>[] PatientReads = [new("epochWaitMs", "15000")];

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_watch_event_reaches_the_client_before_a_reply_showing_a_later_write_to_another_path(bool keyValue)
    {
        string hold = Path.Combine(Path.GetTempPath(), $"zkgw-compat-hold-{Guid.NewGuid():N}");
        await using var a = new AwsGatewayServer(keyValue ? Backend.Aws.UserStorageMode.KeyValue : Backend.Aws.UserStorageMode.Persistent, PatientReads);
        a.GatewayEnvironment["ZKGW_TEST_INBOX_HOLD"] = hold;
        await a.StartAsync();
        await using var b = new AwsGatewayServer(a);
        await b.StartAsync();
        try
        {
            string root = $"/epoch-{Guid.NewGuid():N}"[..20];
            await using var writer = await RawZkClient.ConnectAsync(b.Port, timeoutMs: 20000);
            Assert.Equal(ErrorCode.Ok, (await writer.CreateAsync(root)).Error);
            Assert.Equal(ErrorCode.Ok, (await writer.CreateAsync(root + "/a", [0])).Error);
            Assert.Equal(ErrorCode.Ok, (await writer.CreateAsync(root + "/b", [0])).Error);

            await using var watcher = await RawZkClient.ConnectAsync(a.Port, timeoutMs: 20000);
            Assert.Equal(ErrorCode.Ok, (await watcher.GetDataAsync(root + "/a", watch: true)).Error);

            File.WriteAllText(hold, "");
            Assert.Equal(ErrorCode.Ok, (await writer.SetDataAsync(root + "/a", [1])).Error);
            Assert.Equal(ErrorCode.Ok, (await writer.SetDataAsync(root + "/b", [1])).Error);

            var read = watcher.GetDataAsync(root + "/b");
            await Task.Delay(1500);
            Assert.False(read.IsCompleted, "getData of /b was answered while gateway A's inbox was held");
            lock (watcher.Transcript)
            {
                Assert.DoesNotContain(watcher.Transcript, t => t.StartsWith("event:", StringComparison.Ordinal));
            }

            File.Delete(hold);
            var reply = await read.WaitAsync(TimeSpan.FromSeconds(20));
            Assert.Equal(ErrorCode.Ok, reply.Error);
            Assert.Equal([1], reply.Decode<GetDataResponse>().Data);
            lock (watcher.Transcript)
            {
                // The watch's reply, then the event, then the read's reply: the event came first on the wire.
                Assert.Equal(["reply:1", $"event:NodeDataChanged:{root}/a", "reply:2"], watcher.Transcript);
            }
        }
        finally
        {
            File.Delete(hold);
        }
    }

    [Fact]
    public async Task A_watch_event_reaches_the_client_before_a_NoNode_reply_showing_a_later_delete_of_another_path()
    {
        string hold = Path.Combine(Path.GetTempPath(), $"zkgw-compat-hold-{Guid.NewGuid():N}");
        await using var a = new AwsGatewayServer(Backend.Aws.UserStorageMode.KeyValue, PatientReads);
        a.GatewayEnvironment["ZKGW_TEST_INBOX_HOLD"] = hold;
        await a.StartAsync();
        await using var b = new AwsGatewayServer(a);
        await b.StartAsync();
        try
        {
            string root = $"/epoch-{Guid.NewGuid():N}"[..20];
            await using var writer = await RawZkClient.ConnectAsync(b.Port, timeoutMs: 20000);
            Assert.Equal(ErrorCode.Ok, (await writer.CreateAsync(root)).Error);
            Assert.Equal(ErrorCode.Ok, (await writer.CreateAsync(root + "/a", [0])).Error);
            Assert.Equal(ErrorCode.Ok, (await writer.CreateAsync(root + "/b", [0])).Error);

            await using var watcher = await RawZkClient.ConnectAsync(a.Port, timeoutMs: 20000);
            Assert.Equal(ErrorCode.Ok, (await watcher.GetDataAsync(root + "/a", watch: true)).Error);

            File.WriteAllText(hold, "");
            Assert.Equal(ErrorCode.Ok, (await writer.SetDataAsync(root + "/a", [1])).Error);
            Assert.Equal(ErrorCode.Ok, (await writer.DeleteAsync(root + "/b")).Error);

            var read = watcher.ExistsAsync(root + "/b");
            await Task.Delay(1500);
            Assert.False(read.IsCompleted, "exists of the deleted /b was answered while gateway A's inbox was held");

            File.Delete(hold);
            var reply = await read.WaitAsync(TimeSpan.FromSeconds(20));
            Assert.Equal(ErrorCode.NoNode, reply.Error);
            lock (watcher.Transcript)
            {
                Assert.Equal(["reply:1", $"event:NodeDataChanged:{root}/a", "reply:2"], watcher.Transcript);
            }
        }
        finally
        {
            File.Delete(hold);
        }
    }
}
