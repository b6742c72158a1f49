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
        var file = Path.Combine(RepoPaths.ExpectedDir, "java-quota.txt");
        if (target == TargetKind.ZooKeeper && Environment.GetEnvironmentVariable("COMPAT_WRITE_EXPECTED") == "1")
        {
            File.WriteAllLines(file, result.Transcript);
        }
        Transcripts.AssertSame(File.ReadAllLines(file), result, $"Java client quota scenario: {target}'s transcript differs from {file}");
    }
}
