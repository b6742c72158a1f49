using ZkGateway.Compat.Infrastructure;
using Xunit.Abstractions;
using ZkGateway.Nemesis.Faults;

namespace ZkGateway.Nemesis.Scenarios;

/// <summary>
/// Each nemesis against the embedded gateway and against real ZooKeeper 3.8 (one server) where the
/// fault applies to it: the history must be linearizable, watches and ephemerals as ZooKeeper
/// promises, no acknowledged write lost, and every client answered again after the fault heals.
/// </summary>
public sealed class EmbeddedNemesisTests(ITestOutputHelper output)
{
    private static readonly NemesisSettings Settings = NemesisSettings.FromEnvironment();

    [Fact]
    public Task Kill_gateway() => RunAsync(new GatewayServer(), new KillNemesis());

    [Fact]
    public Task Kill_zookeeper() => RunAsync(new RealZooKeeper(), new KillNemesis());

    [Fact]
    public Task Pause_gateway() => RunAsync(new GatewayServer(), new PauseNemesis());

    [Fact]
    public Task Pause_zookeeper() => RunAsync(new RealZooKeeper(), new PauseNemesis());

    [Fact]
    public Task Disk_full_gateway() => RunAsync(new GatewayServer([new("snapSizeLimitInKb", "256")]), new DiskFullNemesis());

    [Fact]
    public Task Disk_full_zookeeper() =>
        // 64 KiB log preallocation instead of 64 MiB, which would not fit the small file system.
        RunAsync(new RealZooKeeper([new("zookeeper.preAllocSize", "64")]), new DiskFullNemesis());

    [Fact]
    public Task Fsync_failure_gateway() => RunAsync(new GatewayServer(), new FsyncFailureNemesis());

    [Fact]
    public Task Clock_steps_gateway() => RunAsync(new GatewayServer(), new ClockStepNemesis(), sessionsMustSurvive: true);

    [Fact]
    public Task Clock_steps_zookeeper() => RunAsync(new RealZooKeeper(), new ClockStepNemesis(), sessionsMustSurvive: true);

    /// <summary>
    /// Combined: killed while the disk is full, started again on the full disk (neither server can: both
    /// write at recovery, and exit with the error), then started once the space comes back.
    /// </summary>
    [Fact]
    public Task Kill_on_a_full_disk_gateway() =>
        RunAsync(new GatewayServer([new("snapSizeLimitInKb", "256")]), new CombinedNemesis(new DiskFullNemesis(), new KillNemesis(restartMayFail: true)));

    [Fact]
    public Task Kill_on_a_full_disk_zookeeper() =>
        RunAsync(new RealZooKeeper([new("zookeeper.preAllocSize", "64")]), new CombinedNemesis(new DiskFullNemesis(), new KillNemesis(restartMayFail: true)));

    /// <summary>Combined: the wall clock steps forward, the process is stopped past the sessions' timeout, and it wakes to the clock stepping back.</summary>
    [Fact]
    public Task Clock_step_across_a_pause_gateway() => RunAsync(new GatewayServer(), new CombinedNemesis(new ClockStepNemesis(), new PauseNemesis()));

    [Fact]
    public Task Clock_step_across_a_pause_zookeeper() => RunAsync(new RealZooKeeper(), new CombinedNemesis(new ClockStepNemesis(), new PauseNemesis()));

    /// <param name="sessionsMustSurvive">The fault gives no session a reason to expire (its client keeps pinging a server that runs).</param>
    private async Task RunAsync(ProcessZkTarget target, INemesis nemesis, bool sessionsMustSurvive = false)
    {
        await using (target)
        {
            try
            {
                var report = await NemesisRun.RunAsync(target, nemesis, Settings);
                output.WriteLine(report.ToString());
                ReportAssertions.Held(report, sessionsMustSurvive);
            }
            catch
            {
                output.WriteLine(target.Log);
                throw;
            }
            finally
            {
                await nemesis.CleanUpAsync(target);
            }
        }
    }
}
