using ZkGateway.Compat.Infrastructure;

namespace ZkGateway.Compat;

/// <summary>zkCli.sh (the Java CLI) piped a command list, against real ZooKeeper and the gateway.</summary>
[Collection(CompatCollection.Name)]
public sealed class ZkCliTests(CompatFixture fixture)
{
    private static readonly string[] Commands =
    [
        "create {P} x",
        "create {P}/a hello",
        "create {P}/a again",
        "create -s {P}/s- y",
        "create -e {P}/e z",
        "get {P}/a",
        "set {P}/a v2",
        "get -s {P}/a",
        "set -v 7 {P}/a bad",
        "ls {P}",
        "ls -s {P}",
        "stat {P}/missing",
        "delete {P}",
        "delete {P}/a",
        "get {P}/a",
        "deleteall {P}",
        "ls {P}",
    ];

    [Theory]
    [InlineData(TargetKind.ZooKeeper)]
    [InlineData(TargetKind.Gateway)]
    public async Task Piped_zkCli_commands_give_real_zookeepers_transcript(TargetKind target)
    {
        var zk = await ZooKeeperTranscriptAsync();
        if (target == TargetKind.Gateway)
        {
            var result = await ZkCli.RunAsync(await fixture.GetAsync(TargetKind.Gateway), Commands);
            Transcripts.AssertSame(zk, result, "zkCli.sh: the gateway's transcript differs from real ZooKeeper's");
        }
    }

    private async Task<IReadOnlyList<string>> ZooKeeperTranscriptAsync()
    {
        var result = await ZkCli.RunAsync(await fixture.GetAsync(TargetKind.ZooKeeper), Commands);
        Transcripts.AssertPinned("zkcli-piped.txt", result, "zkCli.sh on real ZooKeeper");
        return result.Transcript;
    }
}
