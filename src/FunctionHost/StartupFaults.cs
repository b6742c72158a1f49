using System.Net;
using Amazon.Runtime;

namespace ZkGateway.FunctionHost;

/// <summary>
/// Which failures of the host's start (provisioning, the functions' first reads) are the cloud's
/// passing faults, worth starting again for, and which are the deployment's (a bad endpoint, missing
/// permissions), which end the process at once. A host restarted during a DynamoDB brown-out exited on
/// a 503 from DescribeTable that the SDK's own retries had not outlasted (the nemesis "cloud faults +
/// function-host kill"); a Lambda init that fails is likewise retried by Lambda itself.
/// </summary>
internal static class StartupFaults
{
    public const int MaxAttempts = 30;

    public static bool IsPassing(Exception e) => e switch
    {
        AmazonServiceException service => (int)service.StatusCode >= 500 || service.StatusCode == HttpStatusCode.TooManyRequests
            // The SDK names an error by its code; one made in process (tests) by its class.
            || (service.ErrorCode ?? service.GetType().Name) is "ThrottlingException" or "ProvisionedThroughputExceededException" or "RequestLimitExceeded" or "SlowDown" or "RequestThrottled"
            || (service.StatusCode == 0 && service.InnerException is HttpRequestException or IOException),
        HttpRequestException or IOException or TimeoutException => true,
        TaskCanceledException { InnerException: TimeoutException } => true,
        _ => false,
    };

    /// <summary>200 ms doubling to 5 s: about a minute and a half over all attempts.</summary>
    public static TimeSpan Backoff(int attempt) => TimeSpan.FromMilliseconds(Math.Min(5000, 200 << Math.Min(attempt - 1, 5)));
}
