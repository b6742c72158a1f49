using ZkGateway.Compat.Infrastructure;

namespace ZkGateway.Compat.Quotas;

/// <summary>
/// The Java client's quota code (SetQuotaCommand.createQuota, ListQuotaCommand.listQuota,
/// DelQuotaCommand.delQuota) and QuotaExceeded as the client jar reports it, with enforceQuota on:
/// the gateway's transcript must equal real ZooKeeper's, which must equal expected/java-quota.txt.
/// </summary>
[Collection(QuotaEnforcementCollection.Name)]
public sealed class QuotaJavaClientScenarios(QuotaEnforcementFixture fixture)
{
    [Theory]
    [InlineData(TargetKind.ZooKeeper)]
    [InlineData(TargetKind.Gateway)]
    public async Task Java_client_quota_scenario_gives_real_zookeepers_transcript(TargetKind target)
    {
        var result = await ScenarioRunner.RunAsync(ClientKind.Java, "quota", await fixture.GetAsync(target));
        Transcripts.AssertPinned("java-quota.txt", result, $"Java client quota scenario on {target}", fromZooKeeper: target == TargetKind.ZooKeeper);
    }
}
