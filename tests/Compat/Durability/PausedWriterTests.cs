using System.Diagnostics;
using ZkGateway.Compat.Infrastructure;
using ZkGateway.Jute.Proto;
using ZkGateway.Jute.Protocol;
using ZkGateway.Testing;

namespace ZkGateway.Compat.Durability;

/// <summary>
/// A function host stopped (SIGSTOP) right after its writer committed a batch, for longer than the
/// receive lease: a second host takes the batch over, and the first, continued (SIGCONT) afterwards,
/// finishes its stale batch. The write is applied once and answered once (issue 17: the
/// storage-side conditions fence the late instance).
/// </summary>
[Collection(CompatCollection.Name)]
public sealed class PausedWriterTests
{
    [Fact]
    public async Task A_writer_paused_past_its_lease_and_taken_over_applies_nothing_twice()
    {
        await using var server = new AwsGatewayServer();
        await server.StartAsync();
        string root = $"/pause-{Guid.NewGuid():N}"[..24];
        await using var client = await RawZkClient.ConnectAsync(server.Port, timeoutMs: 40000);
        Assert.Equal(ErrorCode.Ok, (await client.CreateAsync(root, [0])).Error);

        string hold = Path.Combine(Path.GetTempPath(), $"zkgw-pause-{Guid.NewGuid():N}");
        File.WriteAllText(hold, "");
        await server.KillFunctionsAsync();
        await server.StartFunctionsAsync(new Dictionary<string, string> { ["ZKGW_FAILPOINTS"] = $"writer-after-commit=pause({hold})" });
        using var paused = server.DetachFunctions()!;
        try
        {
            var set = client.SetDataAsync(root, [1]);
            while (!File.Exists(hold + ".held"))
            {
                await Task.Delay(20);
            }
            // The whole process stops, its lease renewals too: the batch is visible again within the lease.
            Signal("STOP", paused.Id);
            await server.StartFunctionsAsync();
            var reply = await set.WaitAsync(TimeSpan.FromSeconds(90));
            Assert.Equal(ErrorCode.Ok, reply.Error);

            // The stale instance wakes up and finishes its batch: it must change nothing.
            Signal("CONT", paused.Id);
            File.Delete(hold);
            Assert.Equal(ErrorCode.Ok, (await client.SetDataAsync(root, [2])).Error);
            var read = await client.GetDataAsync(root);
            Assert.Equal(2, read.Decode<GetDataResponse>().Stat.Version);
            Assert.Equal(new byte[] { 2 }, read.Decode<GetDataResponse>().Data);
        }
        finally
        {
            Signal("CONT", paused.Id);
            paused.Kill(entireProcessTree: true);
            await paused.WaitForExitAsync();
            File.Delete(hold);
            File.Delete(hold + ".held");
        }
    }

    private static void Signal(string signal, int pid)
    {
        using var kill = Process.Start("kill", [$"-{signal}", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }
}
