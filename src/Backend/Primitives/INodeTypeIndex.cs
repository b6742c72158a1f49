namespace ZkGateway.Backend.Primitives;

/// <summary>
/// The container and TTL nodes of system storage (ZooKeeper's DataTree keeps the same two sets), so the
/// reaper need not scan the whole tree. A separate interface from <see cref="ISystemStorage"/>: a
/// provider that cannot index by owner marker simply offers no reaping.
/// </summary>
public interface INodeTypeIndex
{
    /// <summary>The paths of all container and TTL nodes, committed state, in no particular order.</summary>
    ValueTask<IReadOnlyList<string>> ListContainersAndTtlNodesAsync(CancellationToken cancellationToken = default);
}
