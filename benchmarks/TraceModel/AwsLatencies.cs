namespace ZkGateway.TraceModel;

/// <summary>
/// FaaSKeeper's measured medians on AWS (Copik et al., HPDC'24 artifact; /work/shared/design/faaskeeper.md
/// §5), in ms, that replace each call of a critical path timed on the emulators. A queue crossing (a
/// send, the wait, and the consumer's receive of that message) is one SQS FIFO trigger hop.
/// </summary>
public static class AwsLatencies
{
    public const double DynamoWrite = 7;
    public const double DynamoRead = 5;
    public const double FifoTriggerHop = 24;
    public const double OtherSqsCall = 13;
    public const double S3Put = 40;
    public const double S3Get = 11;
    public const double LambdaInvoke = 39;

    /// <summary>
    /// S3 calls other than PUT and GET (a DELETE, a HEAD): FaaSKeeper measured none; modeled as a PUT
    /// (a request that changes or checks the object store, not a read served from it).
    /// </summary>
    public const double S3Other = S3Put;

    /// <summary>The modeled time of one call of <paramref name="kind"/> (<see cref="Backend.Diagnostics.CloudTrace.KindOf"/>).</summary>
    public static double Of(string kind) => kind switch
    {
        "dynamodb-write" => DynamoWrite,
        "dynamodb-read" => DynamoRead,
        "s3-put" => S3Put,
        "s3-get" => S3Get,
        "s3-other" => S3Other,
        "lambda-invoke" => LambdaInvoke,
        "queue-hop" => FifoTriggerHop,
        _ when kind.StartsWith("sqs-", StringComparison.Ordinal) => OtherSqsCall,
        _ => throw new ArgumentException($"no modeled latency for a call of kind '{kind}'"),
    };
}
