using ZkGateway.Compat.Infrastructure;

namespace ZkGateway.Compat.Quotas;

/// <summary>
/// Quota usage survives a restart: real ZooKeeper recounts it when it loads its snapshot and log, and
/// the gateway must show the same zookeeper_stats after a clean stop and after a kill -9.
/// </summary>
public sealed class QuotaRestartScenarios
{
    private static readonly string[] Before =
    [
        "create {P} root",
        "create {P}/a 12345",
        "setquota -b 1000 {P}",
        "create {P}/a/c xyz",
        "set {P}/a 1",
        "create {P}/d 0123456789",
        "get /zookeeper/quota{P}/zookeeper_stats",
    ];

    private static readonly string[] After =
    [
        "get /zookeeper/quota{P}/zookeeper_stats",
        "create {P}/e after",
        "delete {P}/d",
        "get /zookeeper/quota{P}/zookeeper_stats",
        "listquota {P}",
    ];

    [Theory]
    [InlineData(TargetKind.ZooKeeper, false)]
    [InlineData(TargetKind.ZooKeeper, true)]
    [InlineData(TargetKind.Gateway, false)]
    [InlineData(TargetKind.Gateway, true)]
    [InlineData(TargetKind.AwsGateway, true)]
    public async Task Stats_after_a_restart_are_real_zookeepers(TargetKind target, bool kill)
    {
        await using ProcessZkTarget server = target switch
        {
            TargetKind.ZooKeeper => new RealZooKeeper(),
            TargetKind.AwsGateway => new AwsGatewayServer(),
            _ => new GatewayServer(),
        };
        await server.StartAsync();
        string prefix = ZkCli.NewPrefix();
        var before = await ZkCli.RunAsync(server, Before, prefix);
        await server.RestartAsync(kill);
        var after = await ZkCli.RunAsync(server, After, prefix);

        string[] transcript = [.. before.Transcript, "--- restarted", .. after.Transcript];
        Transcripts.AssertPinned("zkcli-quota-restart.txt", before with { Transcript = transcript },
            $"zkCli.sh quotas across a restart (kill: {kill}) on {target}", fromZooKeeper: target == TargetKind.ZooKeeper);
    }
}
