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

    public string DescribeData(GatewayOptions options) =>
        $"AWS deployment {options.Aws.Deployment ?? AwsSettings.FromEnvironment(null).DeploymentName}, {options.Aws.UserStorage ?? "default"} user storage";

    public async Task<IZkBackend> StartAsync(GatewayOptions options, BackendOptions backendOptions, INotificationSink sink, ILoggerFactory loggers)
    {
        ArgumentNullException.ThrowIfNull(options);
        var env = AwsSettings.FromEnvironment(options.Aws.Deployment);
        var aws = env with
        {
            Region = options.Aws.Region ?? env.Region,
            DynamoDbEndpoint = options.Aws.DynamoDb ?? env.DynamoDbEndpoint,
            S3Endpoint = options.Aws.S3 ?? env.S3Endpoint,
            SqsEndpoint = options.Aws.Sqs ?? env.SqsEndpoint,
            BucketNameOverride = options.Aws.Bucket ?? env.BucketNameOverride,
            UserStorage = options.Aws.UserStorage switch
            {
                "key-value" => UserStorageMode.KeyValue,
                "persistent" => UserStorageMode.Persistent,
                _ => env.UserStorage,
            },
        };
        if (aws.AccessKey is null && (aws.DynamoDbEndpoint ?? aws.S3Endpoint ?? aws.SqsEndpoint) is not null)
        {
            // Emulators accept any credentials, and the SDK's default chain would find none here.
            aws = aws with { AccessKey = "test", SecretKey = "test" };
        }
        return await AwsDeployment.StartGatewayAsync(aws, backendOptions, sink, loggers).ConfigureAwait(false);
    }
}
