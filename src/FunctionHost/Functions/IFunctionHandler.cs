using ZkGateway.FunctionHost.Lambda;

namespace ZkGateway.FunctionHost.Functions;

/// <summary>
/// One function as the host runs it: the raw event in, the JSON response out. The same handler runs under
/// the Lambda runtime loop (<see cref="LambdaRuntimeClient"/>) and, later, under the queue-polling host.
/// </summary>
/// <remarks>
/// A handler is created once per process (a Lambda execution environment) and then invoked once at a time;
/// it may keep clients and caches across invocations. An exception means "this invocation failed": the
/// host reports it (Lambda: <c>/invocation/{id}/error</c>) and carries on with the next invocation.
/// </remarks>
public interface IFunctionHandler
{
    /// <summary>The name the host selects the handler by (the <c>_HANDLER</c> setting), e.g. "writer".</summary>
    string Name { get; }

    /// <param name="eventJson">The invocation's payload, as received (UTF-8 JSON for every AWS trigger).</param>
    /// <param name="context">Request id, deadline and trace id of this invocation.</param>
    /// <param name="cancellationToken">Cancelled shortly before the deadline, or when the host stops.</param>
    /// <returns>The response document (JSON), posted back as the invocation's result.</returns>
    Task<string> HandleAsync(ReadOnlyMemory<byte> eventJson, InvocationContext context, CancellationToken cancellationToken);
}
