using System.Diagnostics;
using System.Globalization;
using System.Text;
using Xunit.Abstractions;
using ZkGateway.Backend.Aws;
using ZkGateway.Compat.Infrastructure;
using ZkGateway.Testing;

namespace ZkGateway.Compat;

/// <summary>
/// The cost meter against the wire: a function host and a gateway each talk to the emulators through
/// their own <see cref="CountingProxy"/> pair, a scripted kazoo workload runs (creates, sets, gets,
/// multis, a watch), and the meter's per-API call counts (the gateway's mntr, the function host's
/// <c>cost</c> lines at SIGTERM) must equal what the proxies received. The per-operation figures go to
/// the test output and tests/Compat/TestResults/cost-verification.txt (docs/serverless.md quotes them).
/// </summary>
// In the compat collection: not in parallel with the scenario targets (heavy processes on 2 cores).
[Collection(CompatCollection.Name)]
public sealed class CostMeterVerificationTests(ITestOutputHelper output)
{
    private const int Creates = 20, Sets = 20, Gets = 50, Multis = 5;

    private sealed class ProxyPair(CountingProxy dynamo, CountingProxy fauxqs) : IAsyncDisposable
    {
        public CountingProxy Dynamo => dynamo;

        public CountingProxy Fauxqs => fauxqs;

        public static async Task<ProxyPair> StartAsync(AwsSettings real) =>
            new(await CountingProxy.StartAsync(real.DynamoDbEndpoint!), await CountingProxy.StartAsync(real.SqsEndpoint!));

        public Dictionary<string, long> Snapshot() =>
            dynamo.Snapshot().Concat(fauxqs.Snapshot()).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);

        /// <summary>Units seen on the wire: "dynamodb.Api" → read/write capacity, "sqs.Api" → 64 KB chunks.</summary>
        public Dictionary<string, (double Read, double Write, long Chunks)> Units() =>
            dynamo.Units().Concat(fauxqs.Units()).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);

        public void Configure(ProcessStartInfo psi, AwsSettings real)
        {
            psi.Environment["ZKGW_AWS_DEPLOYMENT"] = real.DeploymentName;
            psi.Environment["ZKGW_AWS_DYNAMODB"] = dynamo.Endpoint;
            // fauxqs serves SQS and S3 on one port.
            psi.Environment["ZKGW_AWS_S3"] = fauxqs.Endpoint;
            psi.Environment["ZKGW_AWS_SQS"] = fauxqs.Endpoint;
            psi.Environment["ZKGW_AWS_ACCESS_KEY"] = "test";
            psi.Environment["ZKGW_AWS_SECRET_KEY"] = "test";
        }

        public async ValueTask DisposeAsync()
        {
            await dynamo.DisposeAsync();
            await fauxqs.DisposeAsync();
        }
    }

    private sealed class Child(Process process, StringBuilder log) : IAsyncDisposable
    {
        public Process Process => process;

        public string Log
        {
            get
            {
                lock (log)
                {
                    return log.ToString();
                }
            }
        }

        public static Child Start(ProcessStartInfo psi)
        {
            psi.RedirectStandardOutput = true;
            psi.RedirectStandardError = true;
            psi.UseShellExecute = false;
            var log = new StringBuilder();
            var p = new Process { StartInfo = psi };
            void Append(string? line)
            {
                if (line is not null)
                {
                    lock (log)
                    {
                        log.AppendLine(line);
                    }
                }
            }
            p.OutputDataReceived += (_, e) => Append(e.Data);
            p.ErrorDataReceived += (_, e) => Append(e.Data);
            p.Start();
            p.BeginOutputReadLine();
            p.BeginErrorReadLine();
            return new Child(p, log);
        }

        /// <summary>SIGTERM (the function host then prints its meter), and the exit.</summary>
        public async Task TerminateAsync()
        {
            if (process.HasExited)
            {
                return;
            }
            Net.Signal(process.Id, 15);
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await process.WaitForExitAsync(cts.Token);
            process.WaitForExit(); // drains the output readers
        }

        public async ValueTask DisposeAsync()
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
            process.Dispose();
        }
    }

    [Theory]
    [InlineData("persistent", "queue")]
    [InlineData("key-value", "queue")]
    [InlineData("key-value", "gateway")]
    public async Task The_meters_per_API_counts_equal_the_requests_the_emulators_received(string userStorage, string writePath)
    {
        await GatewayServer.EnsureBuiltAsync(GatewayServer.AwsDllPath, Path.Combine(RepoPaths.RepoRoot, "src", "Gateway.Aws"));
        await GatewayServer.EnsureBuiltAsync(AwsGatewayServer.FunctionHostDll, Path.Combine(RepoPaths.RepoRoot, "src", "FunctionHost"));
        var real = await AwsEmulators.NewDeploymentAsync("cost");
        // Provisioned directly, not through a proxy: provisioning is not a metered process's work.
        await AwsProvisioner.ProvisionAsync(real);
        string work = RepoPaths.NewTempDir("cost");
        await using var functionsProxy = await ProxyPair.StartAsync(real);
        await using var gatewayProxy = await ProxyPair.StartAsync(real);
        try
        {
            var hostPsi = new ProcessStartInfo("dotnet") { WorkingDirectory = work };
            foreach (var a in new[] { AwsGatewayServer.FunctionHostDll, "host", "--tickTime=2000", $"--aws.userStorage={userStorage}", $"--aws.writePath={writePath}" })
            {
                hostPsi.ArgumentList.Add(a);
            }
            functionsProxy.Configure(hostPsi, real);
            await using var host = Child.Start(hostPsi);
            await WaitUntilAsync(() => host.Log.Contains("functions ready", StringComparison.Ordinal), () => host.Process.HasExited, "function host", () => host.Log);

            int port = Net.FreePort();
            var gwPsi = new ProcessStartInfo("dotnet") { WorkingDirectory = work };
            foreach (var a in new[] { GatewayServer.AwsDllPath, $"--clientPort={port}", "--backend=aws", $"--dataDir={work}/data", "--tickTime=2000", "--4lw.commands.whitelist=*", "--admin.enableServer=false", $"--aws.userStorage={userStorage}", $"--aws.writePath={writePath}" })
            {
                gwPsi.ArgumentList.Add(a);
            }
            gatewayProxy.Configure(gwPsi, real);
            await using var gateway = Child.Start(gwPsi);
            await WaitUntilAsync(async () => await Net.FourLetterAsync(port, "ruok", TimeSpan.FromSeconds(2)) == "imok", () => gateway.Process.HasExited, "gateway", () => gateway.Log);

            var (code, workloadOutput) = await RunWorkloadAsync(port);
            Assert.True(code == 0, $"workload failed: {workloadOutput}\n{gateway.Log}");
            Assert.Contains("watch fired CHANGED", workloadOutput);

            // The gateway keeps polling its inbox and renewing leases: compare at a moment when the
            // proxies saw nothing but the mntr's own calls while mntr was read. mntr itself costs the
            // quota walk's read (below) and at most a GetItem of the stats item (the counts, read at most once a second) before the
            // meter's snapshot is taken and a GetItem of the zxid counter (also at most once a second)
            // after it (GatewayStatistics reads LastZxid last), so the wire may be ahead of the snapshot
            // by that GetItem. A meter that misses or invents a call never matches.
            Dictionary<string, long> gatewayMeter = [];
            Dictionary<string, long> gatewayWire = [];
            Dictionary<string, long> afterSnapshot = [];
            IReadOnlyList<KeyValuePair<string, string>> mntr = [];
            Dictionary<string, (double Read, double Write, long Chunks)> gatewayWireUnits = [];
            bool matched = false;
            for (int attempt = 0; attempt < 30 && !matched; attempt++)
            {
                var before = gatewayProxy.Snapshot();
                mntr = ParseMntr(await Net.FourLetterAsync(port, "mntr", TimeSpan.FromSeconds(5)) ?? "");
                gatewayMeter = MeterCallsFromMntr(mntr);
                gatewayWire = gatewayProxy.Snapshot();
                gatewayWireUnits = gatewayProxy.Units();
                foreach (int countsRead in new[] { 0, 1 })
                {
                    foreach (int zxidRead in new[] { 0, 1 })
                    {
                        var mntrOwn = new Dictionary<string, long> { ["dynamodb.GetItem"] = countsRead + zxidRead };
                        if (writePath == "gateway")
                        {
                            // That path keeps no counts item: mntr's counts are a Scan of the sessions
                            // (the ephemerals) instead of a GetItem.
                            mntrOwn = new Dictionary<string, long> { ["dynamodb.GetItem"] = zxidRead, ["dynamodb.Scan"] = countsRead };
                        }
                        // And, before the meter's snapshot, the quota metrics' walk of /zookeeper/quota: one read
                        // of that node (childless here), an S3 object or a data-table item.
                        string quotaRead = userStorage == "persistent" ? "s3.GetObject" : "dynamodb.GetItem";
                        mntrOwn[quotaRead] = mntrOwn.GetValueOrDefault(quotaRead) + 1;
                        var after = new Dictionary<string, long> { ["dynamodb.GetItem"] = zxidRead };
                        if (!matched && SameCounts(Plus(before, mntrOwn), gatewayWire) && SameCounts(Plus(gatewayMeter, after), gatewayWire))
                        {
                            matched = true;
                            afterSnapshot = after;
                        }
                    }
                }
                if (!matched)
                {
                    await Task.Delay(200);
                }
            }
            // What the report shows for the gateway is the meter at the snapshot.
            gatewayWire = Plus(gatewayWire, afterSnapshot.ToDictionary(kv => kv.Key, kv => -kv.Value));
            string gatewayTables = string.Join(", ", gatewayProxy.Dynamo.DynamoByTable().OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={kv.Value}"));

            await gateway.TerminateAsync();
            await host.TerminateAsync();
            var hostLines = ParseCostLines(host.Log);
            var hostMeter = hostLines.GroupBy(l => l.Api).ToDictionary(g => g.Key, g => g.Sum(l => l.Calls), StringComparer.Ordinal);
            var hostWire = functionsProxy.Snapshot();
            bool hostMatched = SameCounts(hostMeter, hostWire);
            Assert.True(matched && hostMatched,
                $"gateway meter vs wire{(matched ? " (same)" : "")}:\n{Diff(gatewayMeter, gatewayWire)}\n  by table: {gatewayTables}\n" +
                $"function host meter vs wire{(hostMatched ? " (same)" : "")}:\n{Diff(hostMeter, hostWire)}\n  by table: " +
                string.Join(", ", functionsProxy.Dynamo.DynamoByTable().OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={kv.Value}")));

            // Units where the wire shows them: DynamoDB's reported capacity (except where the meter computes
            // it on an emulator, and the gateway's GetItem, which mntr's own reads share), SQS's chunks.
            var hostUnitErrors = UnitDifferences(hostLines.GroupBy(l => l.Api).ToDictionary(g => g.Key, g => (g.Sum(l => l.Rcu), g.Sum(l => l.Wcu), g.Sum(l => l.Units)), StringComparer.Ordinal), functionsProxy.Units(), []);
            var gatewayUnitErrors = UnitDifferences(MeterUnitsFromMntr(mntr), gatewayWireUnits, ["dynamodb.GetItem"]);
            Assert.True(hostUnitErrors.Count == 0 && gatewayUnitErrors.Count == 0,
                "units, meter vs wire:\n  function host: " + string.Join("\n  ", hostUnitErrors) + "\n  gateway: " + string.Join("\n  ", gatewayUnitErrors));

            Report(writePath == "gateway" ? userStorage + ", gateway write path" : userStorage, mntr, hostLines, gatewayWire, hostWire);
        }
        finally
        {
            await AwsProvisioner.DeleteAsync(real);
            try
            {
                Directory.Delete(work, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static async Task<(int Code, string Output)> RunWorkloadAsync(int port)
    {
        string script = $$"""
            import threading
            from kazoo.client import KazooClient
            zk = KazooClient(hosts='127.0.0.1:{{port}}', timeout=10)
            zk.start(timeout=15)
            zk.create('/w', b'')
            for i in range({{Creates}}):
                zk.create('/w/n%02d' % i, b'v')
            for i in range({{Sets}}):
                zk.set('/w/n%02d' % i, b'changed')
            for i in range({{Gets}}):
                zk.get('/w/n%02d' % (i % {{Creates}}))
            for i in range({{Multis}}):
                t = zk.transaction()
                t.create('/w/m%d' % i, b'm')
                t.set_data('/w/n%02d' % i, b'multi')
                t.commit()
            fired = threading.Event()
            seen = []
            def watcher(event):
                seen.append(event.type)
                fired.set()
            zk.get('/w/n00', watch=watcher)
            zk.set('/w/n00', b'watched')
            fired.wait(20)
            print('watch fired', seen[0] if seen else 'NOTHING')
            zk.stop()
            zk.close()
            """;
        var psi = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(script.Replace("\r", "", StringComparison.Ordinal));
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await p.WaitForExitAsync(cts.Token);
        return (p.ExitCode, await stdout + await stderr);
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> ready, Func<bool> exited, string what, Func<string> log)
    {
        var sw = Stopwatch.StartNew();
        while (!await ready())
        {
            Assert.False(exited(), $"{what} exited:\n{log()}");
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(90), $"{what} not ready in 90 s:\n{log()}");
            await Task.Delay(100);
        }
    }

    private static Task WaitUntilAsync(Func<bool> ready, Func<bool> exited, string what, Func<string> log) =>
        WaitUntilAsync(() => Task.FromResult(ready()), exited, what, log);

    private static List<KeyValuePair<string, string>> ParseMntr(string text) =>
        [.. text.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split('\t', 2))
            .Where(p => p.Length == 2)
            .Select(p => KeyValuePair.Create(p[0].Trim(), p[1].Trim()))];

    /// <summary>zk_cost_&lt;service&gt;_&lt;Api&gt;_calls → "service.Api" (per-operation and estimate keys left out).</summary>
    private static Dictionary<string, long> MeterCallsFromMntr(IEnumerable<KeyValuePair<string, string>> mntr) =>
        mntr.Where(kv => kv.Key.StartsWith("zk_cost_", StringComparison.Ordinal) && kv.Key.EndsWith("_calls", StringComparison.Ordinal) && !kv.Key.StartsWith("zk_cost_op_", StringComparison.Ordinal))
            .Select(kv => (Name: kv.Key["zk_cost_".Length..^"_calls".Length], Calls: long.Parse(kv.Value, CultureInfo.InvariantCulture)))
            .Where(x => !x.Name.StartsWith("lambda_", StringComparison.Ordinal))
            .ToDictionary(x => x.Name[..x.Name.IndexOf('_')] + "." + x.Name[(x.Name.IndexOf('_') + 1)..], x => x.Calls, StringComparer.Ordinal);

    private sealed record CostLine(string Operation, string Api, long Calls, decimal Usd, long Units, double Rcu, double Wcu);

    /// <summary>"cost &lt;operation&gt; &lt;service&gt;.&lt;Api&gt; calls=N units=U usd=D rcu=R wcu=W" (HostMode at SIGTERM).</summary>
    private static List<CostLine> ParseCostLines(string log) =>
        [.. log.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith("cost ", StringComparison.Ordinal))
            .Select(l => l.Split(' '))
            .Where(p => !p[2].StartsWith("lambda.", StringComparison.Ordinal))
            .Select(p => new CostLine(p[1], p[2], long.Parse(p[3]["calls=".Length..], CultureInfo.InvariantCulture), decimal.Parse(p[5]["usd=".Length..], CultureInfo.InvariantCulture),
                long.Parse(p[4]["units=".Length..], CultureInfo.InvariantCulture), double.Parse(p[6]["rcu=".Length..], CultureInfo.InvariantCulture), double.Parse(p[7]["wcu=".Length..], CultureInfo.InvariantCulture)))];

    /// <summary>zk_cost_dynamodb_&lt;Api&gt;_rcu/_wcu and zk_cost_sqs_&lt;Api&gt;_units → "service.Api" → units.</summary>
    private static Dictionary<string, (double Read, double Write, long Chunks)> MeterUnitsFromMntr(IEnumerable<KeyValuePair<string, string>> mntr)
    {
        var units = new Dictionary<string, (double Read, double Write, long Chunks)>(StringComparer.Ordinal);
        foreach (var (key, value) in mntr)
        {
            foreach (var (suffix, service) in new[] { ("_rcu", "dynamodb"), ("_wcu", "dynamodb"), ("_units", "sqs") })
            {
                string prefix = $"zk_cost_{service}_";
                if (key.StartsWith(prefix, StringComparison.Ordinal) && key.EndsWith(suffix, StringComparison.Ordinal))
                {
                    string api = service + "." + key[prefix.Length..^suffix.Length];
                    double v = double.Parse(value, CultureInfo.InvariantCulture);
                    var u = units.GetValueOrDefault(api);
                    units[api] = suffix switch { "_rcu" => (v, u.Write, u.Chunks), "_wcu" => (u.Read, v, u.Chunks), _ => (u.Read, u.Write, (long)v) };
                }
            }
        }
        return units;
    }

    /// <summary>
    /// Per API, the meter's units against the wire's: DynamoDB read and write capacity (not
    /// TransactWriteItems and BatchGetItem, which the meter computes on an emulator, DynamoDB Local's
    /// figures being wrong: tests/Aws.Tests/ConsumedCapacityTests.cs), SQS chunks.
    /// </summary>
    private static List<string> UnitDifferences(IReadOnlyDictionary<string, (double Read, double Write, long Chunks)> meter, IReadOnlyDictionary<string, (double Read, double Write, long Chunks)> wire, string[] skip)
    {
        var differences = new List<string>();
        foreach (string api in meter.Keys.Union(wire.Keys).Order(StringComparer.Ordinal))
        {
            if (skip.Contains(api) || api is "dynamodb.TransactWriteItems" or "dynamodb.BatchGetItem" || !(api.StartsWith("dynamodb.", StringComparison.Ordinal) || api.StartsWith("sqs.", StringComparison.Ordinal)))
            {
                continue;
            }
            var m = meter.GetValueOrDefault(api);
            var w = wire.GetValueOrDefault(api);
            bool same = api.StartsWith("sqs.", StringComparison.Ordinal)
                ? m.Chunks == w.Chunks
                : Math.Abs(m.Read - w.Read) < 0.001 && Math.Abs(m.Write - w.Write) < 0.001;
            if (!same)
            {
                differences.Add($"{api}: meter {m} wire {w}");
            }
        }
        return differences;
    }

    private static Dictionary<string, long> Plus(IReadOnlyDictionary<string, long> a, IReadOnlyDictionary<string, long> b) =>
        a.Keys.Union(b.Keys).ToDictionary(k => k, k => a.GetValueOrDefault(k) + b.GetValueOrDefault(k), StringComparer.Ordinal);

    private static bool SameCounts(IReadOnlyDictionary<string, long> a, IReadOnlyDictionary<string, long> b) =>
        a.Where(kv => kv.Value != 0).OrderBy(kv => kv.Key, StringComparer.Ordinal).SequenceEqual(b.Where(kv => kv.Value != 0).OrderBy(kv => kv.Key, StringComparer.Ordinal));

    private static string Diff(IReadOnlyDictionary<string, long> meter, IReadOnlyDictionary<string, long> wire) =>
        string.Join('\n', meter.Keys.Union(wire.Keys).Order(StringComparer.Ordinal)
            .Select(k => $"  {k}: meter {meter.GetValueOrDefault(k)} wire {wire.GetValueOrDefault(k)}{(meter.GetValueOrDefault(k) != wire.GetValueOrDefault(k) ? "  <-- differs" : "")}"));

    private void Report(string userStorage, IReadOnlyList<KeyValuePair<string, string>> mntr, List<CostLine> hostLines, Dictionary<string, long> gatewayWire, Dictionary<string, long> hostWire)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"== user storage {userStorage}: {Creates} creates, {Sets} sets, {Gets} gets, {Multis} multis (create+set), 1 watch (get + set) ==");
        text.AppendLine("gateway (mntr, per operation): calls, usd");
        foreach (var kv in mntr.Where(kv => kv.Key.StartsWith("zk_cost_op_", StringComparison.Ordinal)))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  {kv.Key} {kv.Value}");
        }
        text.AppendLine(CultureInfo.InvariantCulture, $"  {mntr.FirstOrDefault(kv => kv.Key == "zk_cost_estimated_usd")}");
        text.AppendLine("function host (per operation, per API): calls, usd");
        foreach (var line in hostLines)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  {line.Operation} {line.Api} {line.Calls} {line.Usd}");
        }
        text.AppendLine("wire, gateway: " + string.Join(", ", gatewayWire.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={kv.Value}")));
        text.AppendLine("wire, function host: " + string.Join(", ", hostWire.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={kv.Value}")));
        output.WriteLine(text.ToString());
        string dir = Path.Combine(RepoPaths.CompatDir, "TestResults");
        Directory.CreateDirectory(dir);
        File.AppendAllText(Path.Combine(dir, "cost-verification.txt"), text.ToString());
    }
}
