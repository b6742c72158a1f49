using System.Net;
using Amazon.DynamoDBv2.Model;
using Amazon.Runtime;

namespace ZkGateway.FunctionHost.Tests;

/// <summary>The host starts again after the cloud's passing faults and exits at once on the deployment's own errors.</summary>
public sealed class StartupFaultsTests
{
    public static TheoryData<Exception, bool> Faults => new()
    {
        { Service("Service unavailable", "ServiceUnavailable", HttpStatusCode.ServiceUnavailable), true },
        { Service("Internal error", "InternalServerError", HttpStatusCode.InternalServerError), true },
        { Service("Rate exceeded", "ThrottlingException", HttpStatusCode.BadRequest), true },
        { new ProvisionedThroughputExceededException("slow down"), true },
        { new HttpRequestException("Connection refused"), true },
        { new IOException("The response ended prematurely."), true },
        { new TaskCanceledException("timed out", new TimeoutException()), true },
        { Service("The security token included in the request is invalid", "UnrecognizedClientException", HttpStatusCode.BadRequest), false },
        { Service("User is not authorized", "AccessDeniedException", HttpStatusCode.BadRequest), false },
        { new ResourceNotFoundException("no such table"), false },
        { new ArgumentException("bad option"), false },
    };

    [Theory]
    [MemberData(nameof(Faults))]
    public void A_fault_is_passing_only_when_the_cloud_may_answer_next_time(Exception fault, bool passing) =>
        Assert.Equal(passing, StartupFaults.IsPassing(fault));

    [Fact]
    public void The_waits_grow_to_five_seconds_and_all_attempts_take_about_a_minute_and_a_half()
    {
        Assert.Equal(TimeSpan.FromMilliseconds(200), StartupFaults.Backoff(1));
        Assert.Equal(TimeSpan.FromSeconds(5), StartupFaults.Backoff(StartupFaults.MaxAttempts));
        double total = Enumerable.Range(1, StartupFaults.MaxAttempts - 1).Sum(a => StartupFaults.Backoff(a).TotalSeconds);
        Assert.InRange(total, 60, 150);
    }

    private static AmazonServiceException Service(string message, string code, HttpStatusCode status) =>
        new(message, null, ErrorType.Receiver, code, "request-1", status);
}
