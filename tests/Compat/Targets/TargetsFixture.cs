namespace ZkGateway.Compat.Targets;

/// <summary>One real ZooKeeper and one gateway, started once for every scenario in the collection.</summary>
public sealed class TargetsFixture : IAsyncLifetime
{
    public ZooKeeperTarget ZooKeeper { get; } = new();

    public GatewayTarget Gateway { get; } = new();

    public ZkTarget this[string name] => name switch
    {
        "zookeeper" => ZooKeeper,
        "gateway" => Gateway,
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
    };

    public async Task InitializeAsync() => await Task.WhenAll(ZooKeeper.StartAsync(), Gateway.StartAsync());

    public async Task DisposeAsync()
    {
        await ZooKeeper.DisposeAsync();
        await Gateway.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class TargetsCollection : ICollectionFixture<TargetsFixture>
{
    public const string Name = "targets";
}

/// <summary>The targets every shared scenario runs against.</summary>
public static class TargetNames
{
    public static TheoryData<string> Both => new() { "zookeeper", "gateway" };
}
