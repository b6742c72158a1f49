namespace ZkGateway.Gateway.Hosting;

/// <summary>
/// The backend could not start (its storage or cloud endpoints unreachable, its data directory
/// unusable): the entry point says so in one line and exits, instead of an unhandled stack trace.
/// </summary>
public sealed class BackendStartException(string backend, Exception inner)
    : Exception($"the {backend} backend could not start: {inner.GetType().Name}: {inner.Message}", inner);
