using ZkGateway.Backend.Aws;
using ZkGateway.Compat.Infrastructure;
using Xunit.Abstractions;
using ZkGateway.Nemesis.Faults;
using ZkGateway.Nemesis.Workload;
using ZkGateway.Testing;

namespace ZkGateway.Nemesis.Scenarios;

/// <summary>
/// The AWS nemeses (issue 17): two gateways on one serverless deployment on the emulators, served by
/// a separate function-host process, with the workers spread over both gateways; the function host
/// or one gateway is killed or paused. The same checks as the embedded nemeses, and for the
/// function-host faults no session may expire (a dead function instance must not cost sessions).
/// </summary>
public sealed class AwsNemesisTests(ITestOutputHelper output)
{
    private static readonly NemesisSettings Settings = NemesisSettings.FromEnvironment();

    [Fact]
    public Task Kill_function_host() => RunAsync(new FunctionHostKillNemesis(), faultSecondGateway: false, sessionsMustSurvive: true);

    /// <summary>The serving function instance killed while another is warm: writes stop for the kill's own cost only (issue 17's 2 s).</summary>
    [Fact]
    public Task Kill_function_instance_beside_a_warm_one() =>
        RunAsync(new WarmInstanceKillNemesis(), faultSecondGateway: false, sessionsMustSurvive: true);

    /// <summary>On the key-value user storage, whose item writes are fenced by write stamps against a late applier.</summary>
    [Fact]
    public Task Pause_function_host() =>
        RunAsync(new FunctionHostPauseNemesis(), faultSecondGateway: false, sessionsMustSurvive: true, UserStorageMode.KeyValue);

    /// <summary>
    /// On the persistent (S3) user storage, whose object writes are fenced by write stamps and
    /// conditional PutObjects since a woken host's stale batch rewrote a node with an older version
    /// (docs/reliability.md, "What the AWS faults found"; S3UserStorageFencingTests).
    /// </summary>
    [Fact]
    public Task Pause_function_host_on_persistent_storage() =>
        RunAsync(new FunctionHostPauseNemesis(), faultSecondGateway: false, sessionsMustSurvive: true, UserStorageMode.Persistent);

    [Fact]
    public Task Kill_gateway() =>
        // Down past the sessions' timeout: its clients must move to the other gateway in time.
        RunAsync(new KillNemesis(TimeSpan.FromMilliseconds(Worker.SessionTimeoutMs + 1000), shortModeFaults: 1, name: "gateway kill"), faultSecondGateway: true);

    [Fact]
    public Task Pause_gateway() => RunAsync(new PauseNemesis("gateway pause"), faultSecondGateway: true);

    /// <summary>Throttling, 5xx, resets before and after forwarding, added latency: for both gateways and the function host.</summary>
    [Fact]
    public Task Cloud_faults() => RunAsync(new CloudFaultNemesis(Settings.Seed), faultSecondGateway: false);

    /// <summary>The second gateway cut off from DynamoDB, S3 and SQS while its clients stay connected to it.</summary>
    [Fact]
    public Task Partition_gateway_from_backend() => RunAsync(new BackendPartitionNemesis(), faultSecondGateway: true);

    /// <summary>Combined: the function host killed while the cloud throttles and fails requests, and its successor started (and provisioning) through the same faults.</summary>
    [Fact]
    public Task Kill_function_host_during_cloud_faults() =>
        RunAsync(new CombinedNemesis(new CloudFaultNemesis(Settings.Seed), new FunctionHostKillNemesis()), faultSecondGateway: false);

    /// <summary>DynamoDB Local killed and started again on its files: the system storage gone for a few seconds, its in-flight requests reset.</summary>
    [Fact]
    public Task Kill_dynamodb() => RunAsync(new EmulatorNemesis(PrivateEmulators.Emulator.DynamoDb), faultSecondGateway: false, storage: UserStorageMode.KeyValue);

    /// <summary>fauxqs stopped and continued: every SQS and S3 request hangs, up to past the receive lease and the sessions' timeout.</summary>
    [Fact]
    public Task Stop_sqs_and_s3() => RunAsync(new EmulatorNemesis(PrivateEmulators.Emulator.Fauxqs), faultSecondGateway: false);

    private async Task RunAsync(INemesis nemesis, bool faultSecondGateway, bool sessionsMustSurvive = false, UserStorageMode storage = UserStorageMode.Persistent)
    {
        await using var first = new AwsGatewayServer(storage, properties: AwsGatewayServer.FastExpiry);
        await using var second = new AwsGatewayServer(first);
        ProcessZkTarget faulted = faultSecondGateway ? second : first;
        try
        {
            var report = await NemesisRun.RunAsync([first, second], faulted, nemesis, Settings);
            output.WriteLine(report.ToString());
            ReportAssertions.Held(report, sessionsMustSurvive);
            if (Settings.PrintLogs)
            {
                WriteLogs(first, second);
            }
        }
        catch
        {
            WriteLogs(first, second);
            throw;
        }
        finally
        {
            await nemesis.CleanUpAsync(faulted);
        }
    }

    private void WriteLogs(AwsGatewayServer first, AwsGatewayServer second) =>
        output.WriteLine($"first gateway:\n{first.Log}\nsecond gateway:\n{second.Log}\nfunction host:\n{first.FunctionsLog}");
}
