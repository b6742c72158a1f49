using ZkGateway.Compat.Infrastructure;
using ZkGateway.Jute.Proto;
using ZkGateway.Jute.Protocol;
using ZkGateway.Testing;

namespace ZkGateway.Compat.Protocol;

/// <summary>
/// Watch event before data across paths, on the wire (issue 3, docs/serverless.md): two gateway
/// processes on one serverless deployment. A client on gateway A watches /a; a client on gateway B
/// sets /a, then /b, while A's inbox handling is held (the gateway-inbox failpoint, docs/failpoints.md:
/// nothing A received is handled while the file exists). The watcher's getData of /b must stay unanswered
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
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public async Task A_watch_event_reaches_the_client_before_a_reply_showing_a_later_write_to_another_path(bool keyValue, bool gatewayWrites)
    {
        await using var s = await TwoGateways.StartAsync(keyValue, gatewayWrites);
        File.WriteAllText(s.Hold, "");
        Assert.Equal(ErrorCode.Ok, (await s.Writer.SetDataAsync(s.Root + "/a", [1])).Error);
        Assert.Equal(ErrorCode.Ok, (await s.Writer.SetDataAsync(s.Root + "/b", [1])).Error);

        var read = s.Watcher.GetDataAsync(s.Root + "/b");
        await Task.Delay(1500);
        Assert.False(read.IsCompleted, "getData of /b was answered while gateway A's inbox was held");
        lock (s.Watcher.Transcript)
        {
            Assert.DoesNotContain(s.Watcher.Transcript, t => t.StartsWith("event:", StringComparison.Ordinal));
        }

        File.Delete(s.Hold);
        var reply = await read.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(ErrorCode.Ok, reply.Error);
        Assert.Equal([1], reply.Decode<GetDataResponse>().Data);
        lock (s.Watcher.Transcript)
        {
            // The watch's reply, then the event, then the read's reply: the event came first on the wire.
            Assert.Equal(["reply:1", $"event:NodeDataChanged:{s.Root}/a", "reply:2"], s.Watcher.Transcript);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_watch_event_reaches_the_client_before_a_NoNode_reply_showing_a_later_delete_of_another_path(bool gatewayWrites)
    {
        await using var s = await TwoGateways.StartAsync(keyValue: true, gatewayWrites);
        File.WriteAllText(s.Hold, "");
        Assert.Equal(ErrorCode.Ok, (await s.Writer.SetDataAsync(s.Root + "/a", [1])).Error);
        Assert.Equal(ErrorCode.Ok, (await s.Writer.DeleteAsync(s.Root + "/b")).Error);

        var read = s.Watcher.ExistsAsync(s.Root + "/b");
        await Task.Delay(1500);
        Assert.False(read.IsCompleted, "exists of the deleted /b was answered while gateway A's inbox was held");

        File.Delete(s.Hold);
        var reply = await read.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(ErrorCode.NoNode, reply.Error);
        lock (s.Watcher.Transcript)
        {
            Assert.Equal(["reply:1", $"event:NodeDataChanged:{s.Root}/a", "reply:2"], s.Watcher.Transcript);
        }
    }

    /// <summary>
    /// Both scenarios' start: gateway A (its inbox held while <see cref="Hold"/> exists) and gateway B on
    /// one deployment; B's client has created Root, Root/a and Root/b; A's client holds a data watch on
    /// Root/a (its transcript starts with that reply). Disposing deletes the hold file first.
    /// </summary>
    private sealed class TwoGateways : IAsyncDisposable
    {
        private readonly List<IAsyncDisposable> _owned = [];

        public string Hold { get; } = Path.Combine(Path.GetTempPath(), $"zkgw-compat-hold-{Guid.NewGuid():N}");

        public string Root { get; } = $"/epoch-{Guid.NewGuid():N}"[..20];

        public RawZkClient Writer { get; private set; } = null!;

        public RawZkClient Watcher { get; private set; } = null!;

        public static async Task<TwoGateways> StartAsync(bool keyValue, bool gatewayWrites)
        {
            var s = new TwoGateways();
            try
            {
                var a = s.Own(new AwsGatewayServer(keyValue ? Backend.Aws.UserStorageMode.KeyValue : Backend.Aws.UserStorageMode.Persistent, PatientReads,
                    gatewayWrites ? Backend.Aws.WritePathMode.Gateway : Backend.Aws.WritePathMode.Queue));
                a.GatewayEnvironment["ZKGW_FAILPOINTS"] = $"gateway-inbox=pause({s.Hold})";
                await a.StartAsync();
                var b = s.Own(new AwsGatewayServer(a));
                await b.StartAsync();
                s.Writer = s.Own(await RawZkClient.ConnectAsync(b.Port, timeoutMs: 20000));
                Assert.Equal(ErrorCode.Ok, (await s.Writer.CreateAsync(s.Root)).Error);
                Assert.Equal(ErrorCode.Ok, (await s.Writer.CreateAsync(s.Root + "/a", [0])).Error);
                Assert.Equal(ErrorCode.Ok, (await s.Writer.CreateAsync(s.Root + "/b", [0])).Error);
                s.Watcher = s.Own(await RawZkClient.ConnectAsync(a.Port, timeoutMs: 20000));
                Assert.Equal(ErrorCode.Ok, (await s.Watcher.GetDataAsync(s.Root + "/a", watch: true)).Error);
                return s;
            }
            catch
            {
                await s.DisposeAsync();
                throw;
            }
        }

        private T Own<T>(T resource)
            where T : IAsyncDisposable
        {
            _owned.Add(resource);
            return resource;
        }

        public async ValueTask DisposeAsync()
        {
            File.Delete(Hold);
            // Last started, first stopped: the clients, then gateway B, then A with the functions.
            for (int i = _owned.Count - 1; i >= 0; i--)
            {
                await _owned[i].DisposeAsync();
            }
        }
    }
}
