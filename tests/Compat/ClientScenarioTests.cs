using ZkGateway.Compat.Infrastructure;

namespace ZkGateway.Compat;

/// <summary>
/// Each official client runs the same scenario programs against real ZooKeeper 3.8 and against the gateway.
/// ZooKeeper: the transcript must equal the checked-in <c>expected/&lt;client&gt;-&lt;scenario&gt;.txt</c>.
/// Gateway (embedded), AwsGateway (the AWS provider set on the emulators) and, for kazoo, AwsGatewayKeyValue
/// (the same with the key-value user storage): the transcript must equal
/// real ZooKeeper's (which must itself equal the expected file).
/// Set COMPAT_WRITE_EXPECTED=1 to (re)write the expected files from real ZooKeeper.
/// </summary>
[Collection(CompatCollection.Name)]
public sealed class ClientScenarioTests(CompatFixture fixture)
{
    public static readonly string[] Scenarios = ["basic", "resume", "expiry", "features"];

    public static TheoryData<string, TargetKind> Cases()
    {
        var d = new TheoryData<string, TargetKind>();
        foreach (var s in Scenarios)
        {
            d.Add(s, TargetKind.ZooKeeper);
            d.Add(s, TargetKind.Gateway);
            d.Add(s, TargetKind.AwsGateway);
        }

        return d;
    }

    /// <summary>kazoo also runs on the key-value user storage (one client is enough for what lies below the wire; CI time).</summary>
    public static TheoryData<string, TargetKind> PythonCases()
    {
        var d = Cases();
        foreach (var s in Scenarios)
        {
            d.Add(s, TargetKind.AwsGatewayKeyValue);
            d.Add(s, TargetKind.AwsGatewayWrites);
        }

        return d;
    }

    [Theory]
    [MemberData(nameof(PythonCases))]
    public Task Python_kazoo_scenarios_give_real_zookeepers_transcript(string scenario, TargetKind target) => RunAsync(ClientKind.Python, scenario, target);

    [Theory]
    [MemberData(nameof(Cases))]
    public Task Java_client_scenarios_give_real_zookeepers_transcript(string scenario, TargetKind target) => RunAsync(ClientKind.Java, scenario, target);

    [Theory]
    [MemberData(nameof(Cases))]
    public Task C_client_scenarios_give_real_zookeepers_transcript(string scenario, TargetKind target) => RunAsync(ClientKind.C, scenario, target);

    [Theory]
    [MemberData(nameof(Cases))]
    public Task Node_client_scenarios_give_real_zookeepers_transcript(string scenario, TargetKind target) => RunAsync(ClientKind.Node, scenario, target);

    [Theory]
    [MemberData(nameof(Cases))]
    public Task Go_client_scenarios_give_real_zookeepers_transcript(string scenario, TargetKind target) => RunAsync(ClientKind.Go, scenario, target);

    private async Task RunAsync(ClientKind client, string scenario, TargetKind target)
    {
        var zk = await ZooKeeperResultAsync(client, scenario);
        if (target == TargetKind.ZooKeeper)
        {
            return;
        }

        var gateway = await fixture.GetAsync(target);
        var result = await ScenarioRunner.RunAsync(client, scenario, gateway);
        string context = gateway is AwsGatewayServer aws && result.ExitCode != 0
            ? $"\n--- function host (tail) ---\n{Tail(aws.FunctionsLog)}\n--- gateway (tail) ---\n{Tail(aws.Log)}"
            : "";
        Transcripts.AssertSame(zk.Transcript, result, $"{client}/{scenario}: the {target} transcript differs from real ZooKeeper's{context}");
    }

    private static string Tail(string log) => log.Length <= 6000 ? log : "..." + log[^6000..];

    /// <summary>Runs (or reuses) the real ZooKeeper transcript and checks it against the expected file.</summary>
    private async Task<ScenarioResult> ZooKeeperResultAsync(ClientKind client, string scenario)
    {
        if (!fixture.ZooKeeperResults.TryGetValue((client, scenario), out var result))
        {
            var zk = await fixture.GetAsync(TargetKind.ZooKeeper);
            result = await ScenarioRunner.RunAsync(client, scenario, zk);
        }

        Assert.True(result.ExitCode == 0, $"{client}/{scenario} against real ZooKeeper failed: {result.Describe()}");
        Transcripts.AssertPinned($"{client.ToString().ToLowerInvariant()}-{scenario}.txt", result, $"{client}/{scenario} on real ZooKeeper");
        fixture.ZooKeeperResults[(client, scenario)] = result;
        return result;
    }
}
