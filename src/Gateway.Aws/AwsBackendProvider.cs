using Microsoft.Extensions.Logging;
using ZkGateway.Backend.Aws;
using ZkGateway.Backend;
using ZkGateway.Gateway.Hosting;

namespace ZkGateway.Gateway.Aws;

/// <summary>
/// The AWS provider set for a sidecar gateway: the aws.* keys over the ZKGW_AWS_* environment (see
/// <see cref="AwsSettings.FromEnvironment"/>); the functions run elsewhere (Lambda or the function host).
/// </summary>
public sealed class AwsBackendProvider : IBackendProvider
{
    public string Name => "aws";

    public string DescribeData(GatewayOptions options)
    {
        var aws = Settings(options);
        return $"AWS deployment {aws.DeploymentName}, {(aws.UserStorage == UserStorageMode.KeyValue ? "key-value" : "persistent")} user storage{(aws.WritePath == WritePathMode.Gateway ? ", writes in the gateway" : "")}";
    }

    public async Task<IZkBackend> StartAsync(GatewayOptions options, BackendOptions backendOptions, INotificationSink sink, ILoggerFactory loggers) =>
        await AwsDeployment.StartGatewayAsync(Settings(options), backendOptions, sink, loggers).ConfigureAwait(false);

    /// <summary>The aws.* keys over the ZKGW_AWS_* environment.</summary>
    private static AwsSettings Settings(GatewayOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var aws = options.Aws;
        return AwsSettings.FromEnvironment(aws.Deployment).WithOverrides(aws.Region, aws.DynamoDb, aws.S3, aws.Sqs, aws.Bucket, aws.UserStorage, aws.WritePath);
    }
}
