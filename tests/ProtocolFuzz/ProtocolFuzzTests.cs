using System.Diagnostics;
using System.Globalization;
using Xunit.Abstractions;
using ZkGateway.Jute.Protocol;
using ZkGateway.Testing;

namespace ZkGateway.ProtocolFuzz;

/// <summary>
/// Byte-level differential fuzzing against real ZooKeeper 3.8.0 (issue 15).
/// <list type="bullet">
/// <item>the seeds as they are, and a short fixed set of mutations (<see cref="ShortSeed"/>, <see cref="ShortPerSeed"/>
/// per seed) in every test run;</item>
/// <item><c>ZKGW_FUZZ_LONG=N</c>: N mutations per seed instead (<c>ZKGW_FUZZ_SEED</c> changes the random seed);
/// findings are printed and written to <c>ZKGW_FUZZ_OUT</c> (default <c>/tmp/protocolfuzz-findings.txt</c>) as
/// regression blocks;</item>
/// <item>the regression cases of regressions.txt, each found by a run and minimized, against both servers.</item>
/// </list>
/// Every campaign also keeps a control session open on each server beside the fuzzed connections, and checks
/// at the end that it still answers and still holds its ephemeral node.
/// </summary>
[Collection(FuzzCollection.Name)]
public sealed class ProtocolFuzzTests(FuzzServers servers, ITestOutputHelper output)
{
    public const int ShortSeed = 15;

    public const int ShortPerSeed = 3;

    private static int? Long => int.TryParse(Environment.GetEnvironmentVariable("ZKGW_FUZZ_LONG"), out int n) ? n : null;

    private static int RandomSeed => int.TryParse(Environment.GetEnvironmentVariable("ZKGW_FUZZ_SEED"), out int n) ? n : ShortSeed;

    [Fact]
    public async Task The_seed_sessions_give_the_same_outcome_on_zookeeper_and_the_gateway()
    {
        var campaign = new DifferentialCampaign(servers.ZooKeeper.Port, servers.Gateway.Port);
        foreach (var (name, input) in SeedSessions.All)
        {
            await campaign.RunAsync(name, "none", input);
        }
        Assert.True(campaign.Findings.Count == 0, string.Join("\n", campaign.Findings.Select(DifferentialCampaign.Report)));
        output.WriteLine(string.Join("\n", campaign.NondeterministicKinds));
        // A seed that ZooKeeper itself answers differently from run to run would test nothing.
        Assert.True(campaign.Nondeterministic == 0, string.Join("\n", campaign.NondeterministicKinds));
    }

    [Fact]
    public async Task Mutated_sessions_give_the_same_outcome_on_zookeeper_and_the_gateway()
    {
        int perSeed = Long ?? ShortPerSeed;
        await using var control = await ControlSession.OpenAsync(servers);
        var campaign = new DifferentialCampaign(servers.ZooKeeper.Port, servers.Gateway.Port);
        var mutator = new ByteMutator(RandomSeed);
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < perSeed; i++)
        {
            foreach (var (name, input) in SeedSessions.All)
            {
                var (mutated, what) = mutator.Mutate(input);
                await campaign.RunAsync(name, what, mutated);
                await control.KeepAliveAsync();
            }
        }
        await control.AssertAliveAsync();

        var kinds = campaign.Findings.GroupBy(f => f.Kind).ToList();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{campaign.Inputs} inputs in {clock.Elapsed.TotalSeconds:F1} s (seed {RandomSeed}): {campaign.Findings.Count} findings of {kinds.Count} kinds, " +
            $"{campaign.Nondeterministic} skipped as ZooKeeper-nondeterministic, {campaign.NotRepeated} not repeated; gateway RSS {servers.GatewayRssKb()} kB"));
        foreach (var kind in kinds)
        {
            output.WriteLine($"{kind.Count()} x {kind.Key}");
            output.WriteLine(DifferentialCampaign.Report(kind.OrderBy(f => f.Input.Length).First()));
        }
        if (Long is not null)
        {
            string file = Environment.GetEnvironmentVariable("ZKGW_FUZZ_OUT") is { Length: > 0 } o ? o : "/tmp/protocolfuzz-findings.txt";
            File.WriteAllText(file, string.Concat(kinds.Select((k, i) => k.OrderBy(f => f.Input.Length).First().ToRegression($"finding-{i}") + "\n")));
        }
        Assert.True(campaign.Findings.Count == 0, string.Join("\n", campaign.Findings.Select(DifferentialCampaign.Report)));
    }

    public static TheoryData<string> RegressionNames => [.. RegressionCases.Load().Select(c => c.Name)];

    [Theory]
    [MemberData(nameof(RegressionNames))]
    public async Task Regression_cases_give_zookeepers_outcome_on_both_servers(string name)
    {
        var c = RegressionCases.Load().Single(x => x.Name == name);
        var zk = await DifferentialCampaign.RunOnceAsync(servers.ZooKeeper.Port, c.Input);
        var gw = await DifferentialCampaign.RunOnceAsync(servers.Gateway.Port, c.Input);
        static string Show(IReadOnlyList<string> lines) => string.Join("\n", lines.Select(l => "expect: " + l));
        Assert.True(c.Expected.SequenceEqual(zk), $"ZooKeeper's outcome is no longer the expected one:\n{Show(zk)}");
        Assert.True(c.Expected.SequenceEqual(gw), $"the gateway's outcome differs from ZooKeeper's:\n{Show(gw)}\nexpected:\n{Show(c.Expected)}");
    }

    /// <summary>A session beside the fuzzed connections: one ephemeral node, checked at the end.</summary>
    private sealed class ControlSession : IAsyncDisposable
    {
        private readonly List<(RawZkClient Client, string Path)> _sessions = [];

        public static async Task<ControlSession> OpenAsync(FuzzServers servers)
        {
            var control = new ControlSession();
            // The same name on both servers: a fuzzed read of "/" lists it.
            string path = "/fzcontrol-" + Guid.NewGuid().ToString("N")[..8];
            foreach (var port in new[] { servers.ZooKeeper.Port, servers.Gateway.Port })
            {
                var client = await RawZkClient.ConnectAsync(port, 30000);
                control._sessions.Add((client, path));
                Assert.Equal(ErrorCode.Ok, (await client.CreateAsync(path, [1], CreateMode.Ephemeral)).Error);
            }
            return control;
        }

        private readonly Stopwatch _sincePing = Stopwatch.StartNew();

        /// <summary>The raw client sends no pings of its own: one every few seconds keeps the sessions from expiring.</summary>
        public async Task KeepAliveAsync()
        {
            if (_sincePing.Elapsed < TimeSpan.FromSeconds(5))
            {
                return;
            }
            foreach (var (client, _) in _sessions)
            {
                Assert.Equal(ErrorCode.Ok, (await client.PingAsync()).Error);
            }
            _sincePing.Restart();
        }

        public async Task AssertAliveAsync()
        {
            foreach (var (client, path) in _sessions)
            {
                Assert.Equal(ErrorCode.Ok, (await client.PingAsync()).Error);
                Assert.Equal(ErrorCode.Ok, (await client.GetDataAsync(path)).Error);
                Assert.DoesNotContain(client.Transcript, t => t.StartsWith("event:", StringComparison.Ordinal));
            }
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var (client, _) in _sessions)
            {
                await client.CloseSessionAsync();
                await client.DisposeAsync();
            }
        }
    }
}
