using System.Globalization;
using Amazon.Runtime;
using Microsoft.Extensions.Logging;
using ZkGateway.Backend.Aws;
using ZkGateway.Backend;
using ZkGateway.Backend.Primitives;
using ZkGateway.Gateway.Hosting;
using ZkGateway.Gateway.Tools;

namespace ZkGateway.Gateway.Aws;

/// <summary>
/// The AWS provider set for a sidecar gateway: the aws.* keys over the ZKGW_AWS_* environment (see
/// <see cref="AwsSettings.FromEnvironment"/>); the functions run elsewhere (Lambda or the function host).
/// It is also <c>zkgateway import --backend=aws</c>'s target, configured the same way.
/// </summary>
public sealed class AwsBackendProvider : IBackendProvider, ITreeImportTarget
{
    public string Name => "aws";

    public string DescribeData(GatewayOptions options)
    {
        var aws = Settings(options);
        return $"AWS deployment {aws.DeploymentName}, {(aws.UserStorage == UserStorageMode.KeyValue ? "key-value" : "persistent")} user storage{(aws.WritePath == WritePathMode.Gateway ? ", writes in the gateway" : "")}";
    }

    public async Task<IZkBackend> StartAsync(GatewayOptions options, BackendOptions backendOptions, INotificationSink sink, ILoggerFactory loggers) =>
        await AwsDeployment.StartGatewayAsync(Settings(options), backendOptions, sink, loggers).ConfigureAwait(false);

    public async Task<IReadOnlyList<string>> ImportAsync(GatewayOptions options, long lastZxid, IReadOnlyCollection<SeedNode> nodes, string source, Action<long, long> progress, CancellationToken cancellationToken)
    {
        AwsSettings settings;
        try
        {
            settings = Settings(options);
        }
        catch (ArgumentException e)
        {
            throw new InvalidOperationException(e.Message, e);
        }
        AwsImportResult result;
        try
        {
            result = await AwsTreeImport.RunAsync(settings, lastZxid, nodes, source, progress, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is AmazonServiceException or AmazonClientException or HttpRequestException)
        {
            throw new IOException($"deployment {settings.DeploymentName}: {e.Message}", e);
        }
        var lines = new List<string>
        {
            $"deployment {settings.DeploymentName} ({DescribeData(options)}) holds {result.Nodes} nodes, the state after zxid 0x{lastZxid:x}; its zxid counter is at 0x{result.ZxidCounter:x}, so new zxids are above every imported one",
        };
        if (result.ResumedAtBatch > 0)
        {
            lines.Add($"resumed an interrupted import after batch {result.ResumedAtBatch} of {result.Batches}");
        }
        lines.Add(CostLine(result));
        return lines;
    }

    /// <summary>The import's billable requests as the cost meter counted them, priced at its list prices.</summary>
    private static string CostLine(AwsImportResult result)
    {
        var calls = result.Cost.GroupBy(l => $"{l.Service} {l.Api}").OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => $"{g.Key} {g.Sum(l => l.Calls)}" + (g.Sum(l => l.WriteUnits + l.ReadUnits) is var units and > 0 ? $" ({units.ToString("0.#", CultureInfo.InvariantCulture)} capacity units)" : ""));
        decimal usd = result.Cost.Sum(l => l.Usd);
        decimal per10k = result.Nodes == 0 ? 0 : usd * 10_000 / result.Nodes;
        return $"billable requests of this run: {string.Join(", ", calls)}; ${usd.ToString("0.######", CultureInfo.InvariantCulture)} at list prices (${per10k.ToString("0.####", CultureInfo.InvariantCulture)} per 10k nodes)";
    }

    /// <summary>The aws.* keys over the ZKGW_AWS_* environment.</summary>
    private static AwsSettings Settings(GatewayOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var aws = options.Aws;
        return AwsSettings.FromEnvironment(aws.Deployment).WithOverrides(aws.Region, aws.DynamoDb, aws.S3, aws.Sqs, aws.Bucket, aws.UserStorage, aws.WritePath);
    }
}
