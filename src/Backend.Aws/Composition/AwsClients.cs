using Amazon;
using Amazon.DynamoDBv2;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.SQS;

namespace ZkGateway.Backend.Aws;

/// <summary>
/// The three SDK clients of a deployment, configured to work against AWS and the emulators alike
/// (environment.md §7). One instance per process: each client keeps its pooled HTTP connections, so
/// calls after the first skip the TCP handshake.
/// </summary>
public sealed class AwsClients : IDisposable
{
    public AwsClients(AwsSettings settings)
    {
        Settings = settings;
        // Before the clients are built: their pipelines get the cost meter's and the trace's steps.
        AwsCostMetering.EnsureHooked();
        AWSCredentials? credentials = settings.AccessKey is { } key ? new BasicAWSCredentials(key, settings.SecretKey ?? "") : null;

        var dynamo = new AmazonDynamoDBConfig();
        Configure(dynamo, settings.DynamoDbEndpoint, settings.Region);
        // Storage calls are small: a short per-attempt timeout lets the retry policy take over quickly.
        dynamo.Timeout = TimeSpan.FromSeconds(10);
        DynamoDb = credentials is null ? new AmazonDynamoDBClient(dynamo) : new AmazonDynamoDBClient(credentials, dynamo);

        var s3 = new AmazonS3Config
        {
            // Emulators serve one host: bucket-in-host addressing would need DNS for bucket.127.0.0.1.
            ForcePathStyle = settings.S3Endpoint is not null,
            // SDK v4 adds CRC trailers by default; emulators that do not know them would store them.
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        };
        Configure(s3, settings.S3Endpoint, settings.Region);
        s3.Timeout = TimeSpan.FromSeconds(30);
        S3 = credentials is null ? new AmazonS3Client(s3) : new AmazonS3Client(credentials, s3);

        var sqs = new AmazonSQSConfig();
        Configure(sqs, settings.SqsEndpoint, settings.Region);
        // Must exceed the 20 s long poll, or every idle receive would time out and retry.
        sqs.Timeout = TimeSpan.FromSeconds(30);
        Sqs = credentials is null ? new AmazonSQSClient(sqs) : new AmazonSQSClient(credentials, sqs);
    }

    public AwsSettings Settings { get; }

    public IAmazonDynamoDB DynamoDb { get; }

    public IAmazonS3 S3 { get; }

    public IAmazonSQS Sqs { get; }

    private static void Configure(ClientConfig config, string? endpoint, string region)
    {
        if (endpoint is not null)
        {
            // ServiceURL replaces the regional endpoint; the signature still needs a region.
            config.ServiceURL = endpoint;
            config.AuthenticationRegion = region;
        }
        else
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(region);
        }
        // Standard mode: exponential backoff with jitter and a retry quota, so a throttled or flaky
        // service is not hammered; 4 attempts bound a call's worst case.
        config.RetryMode = RequestRetryMode.Standard;
        config.MaxErrorRetry = 3;
        // Functions and gateways issue many calls in parallel (lease renewals, batch commits).
        config.MaxConnectionsPerServer = 64;
    }

    public void Dispose()
    {
        DynamoDb.Dispose();
        S3.Dispose();
        Sqs.Dispose();
    }
}
