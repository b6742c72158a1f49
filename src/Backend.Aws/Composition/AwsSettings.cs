namespace ZkGateway.Backend.Aws;

/// <summary>Where node data lives on AWS: one S3 object per node, or one DynamoDB item per node (small nodes).</summary>
public enum UserStorageMode
{
    Persistent,
    KeyValue,
}

/// <summary>
/// Who runs the writer and distributor: functions fed by the SQS FIFO queues (<see cref="Queue"/>, the
/// FaaSKeeper design), or every gateway itself, serialized by one conditional DynamoDB write per batch
/// (<see cref="Gateway"/>: no queues, no event-source mappings; key-value user storage only).
/// </summary>
public enum WritePathMode
{
    Queue,
    Gateway,
}

/// <summary>
/// A serverless deployment's settings. Resource names derive from <see cref="DeploymentName"/> (the
/// CloudFormation template uses the same names); endpoints are null for real AWS and set for the
/// emulators (scripts/aws-emulators.sh).
/// </summary>
public sealed record AwsSettings
{
    public required string DeploymentName { get; init; }

    public string Region { get; init; } = "us-east-1";

    /// <summary>DynamoDB endpoint, e.g. http://127.0.0.1:8000; null: the region's AWS endpoint.</summary>
    public string? DynamoDbEndpoint { get; init; }

    public string? S3Endpoint { get; init; }

    public string? SqsEndpoint { get; init; }

    /// <summary>Static credentials (emulators); null: the SDK's default chain (role, environment, profile).</summary>
    public string? AccessKey { get; init; }

    public string? SecretKey { get; init; }

    /// <summary>
    /// The deployment bucket. Defaults to "&lt;deployment&gt;-data" in lower case; the CloudFormation
    /// variant appends the account id, so it is a setting.
    /// </summary>
    public string? BucketNameOverride { get; init; }

    public UserStorageMode UserStorage { get; init; } = UserStorageMode.Persistent;

    /// <summary>Who runs the writer (<c>aws.writePath</c>, ZKGW_AWS_WRITE_PATH: queue or gateway); every gateway and function host of a deployment must agree.</summary>
    public WritePathMode WritePath { get; init; } = WritePathMode.Queue;

    /// <summary>
    /// The writer and distributor queues' visibility timeout: how long a batch taken by a function that
    /// then crashed stays invisible before it is delivered again. Null: SQS's default (30 s); it must
    /// exceed the time a batch takes (CloudFormation sets six times the function timeout).
    /// </summary>
    public TimeSpan? QueueVisibilityTimeout { get; init; }

    /// <summary>
    /// s3rver stores the SDK's default aws-chunked upload framing verbatim (environment.md §7), so
    /// uploads to it must not use chunk encoding. fauxqs and AWS do not need this.
    /// </summary>
    public bool S3DisableChunkEncoding { get; init; }

    public string BucketName => BucketNameOverride ?? $"{DeploymentName}-data".ToLowerInvariant();

    public string NodesTable => $"{DeploymentName}-nodes";

    public string CountersTable => $"{DeploymentName}-counters";

    public string PendingTable => $"{DeploymentName}-pending";

    public string SessionsTable => $"{DeploymentName}-sessions";

    public string LeasesTable => $"{DeploymentName}-leases";

    public string WatchesTable => $"{DeploymentName}-watches";

    public string DataTable => $"{DeploymentName}-data";

    public string WriterQueue => $"{DeploymentName}-writer.fifo";

    public string DistributorQueue => $"{DeploymentName}-distributor.fifo";

    public string InboxQueue(string gatewayId) => $"{DeploymentName}-inbox-{gatewayId}.fifo";

    /// <summary>
    /// Settings from the environment: ZKGW_AWS_DEPLOYMENT, ZKGW_AWS_REGION, ZKGW_AWS_DYNAMODB,
    /// ZKGW_AWS_S3, ZKGW_AWS_SQS, ZKGW_AWS_ACCESS_KEY, ZKGW_AWS_SECRET_KEY, ZKGW_AWS_BUCKET,
    /// ZKGW_AWS_QUEUE_VISIBILITY_SECONDS,
    /// ZKGW_AWS_USER_STORAGE (persistent|key-value), ZKGW_AWS_S3_NO_CHUNKED=1 (an s3rver endpoint).
    /// Endpoints set without credentials get the dummy
    /// credentials the emulators accept.
    /// </summary>
    public static AwsSettings FromEnvironment(string? deploymentName = null, Func<string, string?>? getenv = null)
    {
        getenv ??= Environment.GetEnvironmentVariable;
        string? Get(string name) => getenv(name) is { Length: > 0 } value ? value : null;
        var settings = new AwsSettings
        {
            DeploymentName = deploymentName ?? Get("ZKGW_AWS_DEPLOYMENT") ?? "zkgateway",
            Region = Get("ZKGW_AWS_REGION") ?? "us-east-1",
            DynamoDbEndpoint = Get("ZKGW_AWS_DYNAMODB"),
            S3Endpoint = Get("ZKGW_AWS_S3"),
            SqsEndpoint = Get("ZKGW_AWS_SQS"),
            AccessKey = Get("ZKGW_AWS_ACCESS_KEY"),
            SecretKey = Get("ZKGW_AWS_SECRET_KEY"),
            BucketNameOverride = Get("ZKGW_AWS_BUCKET"),
            QueueVisibilityTimeout = Get("ZKGW_AWS_QUEUE_VISIBILITY_SECONDS") is { } seconds ? TimeSpan.FromSeconds(int.Parse(seconds, System.Globalization.CultureInfo.InvariantCulture)) : null,
            S3DisableChunkEncoding = Get("ZKGW_AWS_S3_NO_CHUNKED") is "1" or "true",
            UserStorage = Get("ZKGW_AWS_USER_STORAGE") switch
            {
                null or "persistent" => UserStorageMode.Persistent,
                "key-value" => UserStorageMode.KeyValue,
                var other => throw new ArgumentException($"ZKGW_AWS_USER_STORAGE must be persistent or key-value, not '{other}'."),
            },
            WritePath = ParseWritePath(Get("ZKGW_AWS_WRITE_PATH"), "ZKGW_AWS_WRITE_PATH") ?? WritePathMode.Queue,
        };
        return settings.WithEmulatorCredentials();
    }

    /// <summary>
    /// These settings with what the <c>aws.*</c> keys of a command line or zoo.cfg give (null keeps the
    /// value already here, from the environment); the gateway and the function host take the same keys.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="userStorage"/> is neither persistent nor key-value.</exception>
    public AwsSettings WithOverrides(string? region, string? dynamoDb, string? s3, string? sqs, string? bucket, string? userStorage, string? writePath = null) =>
        (this with
        {
            Region = region ?? Region,
            DynamoDbEndpoint = dynamoDb ?? DynamoDbEndpoint,
            S3Endpoint = s3 ?? S3Endpoint,
            SqsEndpoint = sqs ?? SqsEndpoint,
            BucketNameOverride = bucket ?? BucketNameOverride,
            UserStorage = userStorage switch
            {
                null => UserStorage,
                "persistent" => UserStorageMode.Persistent,
                "key-value" => UserStorageMode.KeyValue,
                var other => throw new ArgumentException($"--aws.userStorage must be persistent or key-value, not '{other}'."),
            },
            WritePath = ParseWritePath(writePath, "--aws.writePath") ?? WritePath,
        }).WithEmulatorCredentials();

    private static WritePathMode? ParseWritePath(string? value, string what) => value switch
    {
        null => null,
        "queue" => WritePathMode.Queue,
        "gateway" => WritePathMode.Gateway,
        var other => throw new ArgumentException($"{what} must be queue or gateway, not '{other}'."),
    };

    /// <summary>Endpoints set without credentials get the dummy ones the emulators accept (the SDK's default chain would find none).</summary>
    private AwsSettings WithEmulatorCredentials() =>
        AccessKey is null && (DynamoDbEndpoint ?? S3Endpoint ?? SqsEndpoint) is not null
            ? this with { AccessKey = "test", SecretKey = "test" }
            : this;
}
