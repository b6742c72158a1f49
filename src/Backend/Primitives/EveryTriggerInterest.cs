namespace ZkGateway.Backend.Primitives;

/// <summary>The embedded deployment's interest: there is only one gateway, which hears every trigger.</summary>
public sealed class EveryTriggerInterest : IWatchInterest
{
    public static readonly EveryTriggerInterest Instance = new();

    public ValueTask AddAsync(string path, WatchKind kind, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;
}
