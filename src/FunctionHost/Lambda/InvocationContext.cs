namespace ZkGateway.FunctionHost.Lambda;

/// <summary>
/// What the Lambda runtime API tells us about one invocation, from the headers of
/// <c>GET /runtime/invocation/next</c>. Immutable; owned by the invocation it describes.
/// </summary>
/// <param name="RequestId"><c>Lambda-Runtime-Aws-Request-Id</c>: where the response or error goes.</param>
/// <param name="Deadline">
/// <c>Lambda-Runtime-Deadline-Ms</c> (Unix milliseconds, wall clock): when Lambda stops the invocation.
/// <see langword="null"/> when the header was absent or unreadable (no deadline is enforced then).
/// </param>
/// <param name="InvokedFunctionArn"><c>Lambda-Runtime-Invoked-Function-Arn</c>, or empty.</param>
/// <param name="TraceId"><c>Lambda-Runtime-Trace-Id</c> (X-Ray header), or <see langword="null"/>.</param>
public sealed record InvocationContext(
    string RequestId,
    DateTimeOffset? Deadline,
    string InvokedFunctionArn,
    string? TraceId)
{
    /// <summary>Time left before <see cref="Deadline"/> (never negative; infinite without a deadline).</summary>
    public TimeSpan RemainingTime(TimeProvider time) => Deadline is { } deadline
        ? TimeSpan.FromTicks(Math.Max(0, (deadline - time.GetUtcNow()).Ticks))
        : Timeout.InfiniteTimeSpan;
}
