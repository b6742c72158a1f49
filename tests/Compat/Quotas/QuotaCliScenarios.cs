using ZkGateway.Compat.Infrastructure;

namespace ZkGateway.Compat.Quotas;

/// <summary>
/// setquota, listquota and delquota through zkCli.sh, and the zookeeper_stats the server keeps, on
/// real ZooKeeper 3.8 and the gateway: both transcripts must equal the one recorded from ZooKeeper.
/// </summary>
[Collection(CompatCollection.Name)]
public sealed class QuotaCliScenarios(CompatFixture fixture)
{
    /// <summary>Quotas set on a populated tree, usage after a mixed workload, the nested-quota refusals, deletion.</summary>
    private static readonly string[] Commands =
    [
        "create {P} root",
        "create {P}/a 12345",
        "create {P}/b",
        "setquota -n 5 {P}/missing",
        "setquota -n 5 {P}",
        "get /zookeeper/quota{P}/zookeeper_limits",
        // Computed when the stats node is created: the three nodes made before the quota.
        "get /zookeeper/quota{P}/zookeeper_stats",
        "create {P}/a/c xyz",
        "set {P}/a 1",
        "delete {P}/b",
        "create {P}/d 0123456789",
        "create -e {P}/e ee",
        "get /zookeeper/quota{P}/zookeeper_stats",
        "listquota {P}",
        "setquota -B 100 {P}",
        "listquota {P}",
        "setquota -n 2 {P}/a",
        "setquota -n 2 /",
        "setquota -n 0 {P}",
        "setquota -n 2 /zookeeper/quota{P}",
        "delquota -n {P}",
        "listquota {P}",
        "delete {P}/d",
        "get /zookeeper/quota{P}/zookeeper_stats",
        "delquota {P}",
        "listquota {P}",
        "ls /zookeeper/quota{P}",
        "create {P}/after x",
        "deleteall {P}",
    ];

    [Theory]
    [InlineData(TargetKind.ZooKeeper)]
    [InlineData(TargetKind.Gateway)]
    [InlineData(TargetKind.AwsGateway)]
    [InlineData(TargetKind.AwsGatewayWrites)]
    public async Task Setquota_listquota_delquota_and_stats_give_real_zookeepers_transcript(TargetKind target)
    {
        var zk = await ZooKeeperTranscriptAsync();
        if (target != TargetKind.ZooKeeper)
        {
            var result = await ZkCli.RunAsync(await fixture.GetAsync(target), Commands);
            Transcripts.AssertSame(zk, result, $"zkCli.sh quotas: {target}'s transcript differs from real ZooKeeper's");
        }
    }

    private async Task<IReadOnlyList<string>> ZooKeeperTranscriptAsync()
    {
        var result = await ZkCli.RunAsync(await fixture.GetAsync(TargetKind.ZooKeeper), Commands);
        Transcripts.AssertPinned("zkcli-quota.txt", result, "zkCli.sh quotas on real ZooKeeper");
        return result.Transcript;
    }
}
