using ZkGateway.Compat.Infrastructure;

namespace ZkGateway.Compat;

/// <summary>
/// The fixture operations a crash test needs: stop/start and SIGKILL/restart on the same port and dataDir,
/// with committed data surviving. Uses its own servers (not the shared ones), driven by zkCli.sh.
/// </summary>
public sealed class TargetLifecycleTests
{
    [Theory]
    [InlineData(TargetKind.ZooKeeper)]
    [InlineData(TargetKind.Gateway)]
    public async Task Committed_data_survives_a_kill_and_a_restart_on_the_same_port(TargetKind kind)
    {
        await using IZkTarget target = kind == TargetKind.ZooKeeper ? new RealZooKeeper() : new GatewayServer();
        try
        {
            await target.StartAsync();
        }
        catch (Exception e)
        {
            throw new InvalidOperationException($"{(kind == TargetKind.Gateway ? "gateway" : "real ZooKeeper")} did not start: {e.Message}", e);
        }

        var port = target.Port;
        var prefix = ZkCli.NewPrefix();
        var created = await ZkCli.RunAsync(target, ["create {P} before", "create {P}/child c"], prefix);
        Assert.Equal(["Created /T", "Created /T/child", "exit code -> 0"], created.Transcript);

        await target.KillAsync();
        Assert.False(target.IsRunning);
        await target.StartAsync();
        Assert.Equal(port, target.Port);

        string[] read = ["get {P}", "ls {P}", "get {P}/child"];
        var afterKill = await ZkCli.RunAsync(target, read, prefix);
        Assert.Equal(["before", "[child]", "c", "exit code -> 0"], afterKill.Transcript);

        await target.RestartAsync();
        var afterRestart = await ZkCli.RunAsync(target, read, prefix);
        Assert.Equal(afterKill.Transcript, afterRestart.Transcript);
        Assert.Equal("imok", await Net.FourLetterAsync(target.Port, "ruok", TimeSpan.FromSeconds(5)));
    }
}
