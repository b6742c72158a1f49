using ZkGateway.Compat.Infrastructure;

namespace ZkGateway.Compat.Quotas;

/// <summary>
/// zookeeper.enforceQuota=true: creates and setData past a hard count or bytes quota fail with
/// QuotaExceeded, past a soft one they succeed and the server logs ZooKeeper's warning; zkCli.sh on
/// real ZooKeeper 3.8 and on the gateway, compared with the transcript recorded from ZooKeeper.
/// </summary>
[Collection(QuotaEnforcementCollection.Name)]
public sealed class QuotaEnforcementScenarios(QuotaEnforcementFixture fixture)
{
    private static readonly string[] Commands =
    [
        "create {P} root",
        "setquota -N 3 {P}",
        "setquota -B 20 {P}",
        "get /zookeeper/quota{P}/zookeeper_limits",
        "create {P}/a 12345",
        "create {P}/b",
        // Four nodes past a hard count of three.
        "create {P}/c",
        "create -s {P}/s",
        // Exactly 20 bytes is within the hard limit, 21 is past it.
        "set {P}/a 0123456789012345",
        "set {P}/a 01234567890123456",
        "get {P}/a",
        "get /zookeeper/quota{P}/zookeeper_stats",
        "delquota -N {P}",
        // An empty node adds no bytes: the byte limit is not checked.
        "create {P}/c",
        "create {P}/d x",
        "setquota -n 2 {P}",
        "delquota -B {P}",
        // Past the soft count only: created, and logged.
        "create {P}/e",
        "get /zookeeper/quota{P}/zookeeper_stats",
        "ls {P}",
        "delquota {P}",
        "deleteall {P}",
    ];

    [Theory]
    [InlineData(TargetKind.ZooKeeper)]
    [InlineData(TargetKind.Gateway)]
    [InlineData(TargetKind.AwsGateway)]
    [InlineData(TargetKind.AwsGatewayWrites)]
    public async Task Hard_quotas_fail_writes_and_soft_ones_are_logged_as_on_real_zookeeper(TargetKind target)
    {
        var server = await fixture.GetAsync(target);
        string prefix = ZkCli.NewPrefix();
        var result = await ZkCli.RunAsync(server, Commands, prefix);
        Transcripts.AssertPinned("zkcli-quota-enforced.txt", result, $"zkCli.sh enforced quotas on {target}", fromZooKeeper: target == TargetKind.ZooKeeper);

        // ZooKeeperServer.checkQuota's warnings through its RateLogger, on both servers. The server's
        // output is read asynchronously: wait for it (bounded) before asserting.
        string[] warnings =
        [
            $"Message:Quota exceeded: {prefix} [current count=4, hardCountLimit=3] Value:null",
            $"Message: Quota exceeded: {prefix} [current count=4, hardCountLimit=3]",
            $"Message:Quota exceeded: {prefix} [current bytes=21, hardByteLimit=20] Value:null",
            $"Message:Quota exceeded: {prefix} [current count=5, softCountLimit=2] Value:null",
        ];
        // On the AWS queue path the writer is a function: its log is the function host's.
        Func<string> log = server is AwsGatewayServer { Kind: TargetKind.AwsGateway } aws ? () => aws.FunctionsLog : () => ((ProcessZkTarget)server).Log;
        for (int i = 0; i < 300 && !warnings.All(w => log().Contains(w, StringComparison.Ordinal)); i++)
        {
            await Task.Delay(100);
        }
        foreach (string warning in warnings)
        {
            Assert.Contains(warning, log(), StringComparison.Ordinal);
        }
    }
}
