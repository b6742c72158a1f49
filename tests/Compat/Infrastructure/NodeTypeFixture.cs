namespace ZkGateway.Compat.Infrastructure;

/// <summary>
/// A real ZooKeeper and a gateway with extended types (TTL nodes) on and the container reaper checking
/// every second instead of every minute, so that reaping can be observed within a test.
/// </summary>
public sealed class NodeTypeFixture() : CompatFixture(Settings)
{
    /// <summary>How often both servers look for containers and TTL nodes to delete.</summary>
    public const int CheckIntervalMs = 1000;

    private static readonly KeyValuePair<string, string>[] Settings =
    [
        new("zookeeper.extendedTypesEnabled", "true"),
        new("znode.container.checkIntervalMs", CheckIntervalMs.ToString(System.Globalization.CultureInfo.InvariantCulture)),
    ];
}

[CollectionDefinition(Name)]
public sealed class NodeTypeCollection : ICollectionFixture<NodeTypeFixture>
{
    public const string Name = "compat-node-types";
}
