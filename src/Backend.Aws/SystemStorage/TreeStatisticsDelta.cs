using Amazon.DynamoDBv2.Model;
using ZkGateway.Backend.Primitives;
using static ZkGateway.Backend.Aws.DynamoAttributes;

namespace ZkGateway.Backend.Aws;

/// <summary>
/// What one request changes in mntr's counts (znode_count, approximate_data_size as ZooKeeper's
/// DataTree counts it: path length + data length per node, ephemerals_count). Carried by the pending
/// entry and added to the stats item when the distributor pops it (<see cref="DynamoTreeStatistics"/>),
/// so each change is counted exactly once.
/// </summary>
internal sealed class TreeStatisticsDelta
{
    /// <summary>The pending entry's attributes that carry a delta (absent when zero).</summary>
    public const string Projection = "#dNodes, #dBytes, #dEphemerals";

    private long _nodes;
    private long _bytes;
    private long _ephemerals;

    /// <summary>Counts one node's change from <paramref name="previous"/> to <paramref name="next"/> (null: absent).</summary>
    public void Add(string path, SystemNode? previous, SystemNode? next)
    {
        _nodes += (next is null ? 0 : 1) - (previous is null ? 0 : 1);
        _bytes += (next is { } after ? path.Length + after.Stat.DataLength : 0)
            - (previous is { } before ? path.Length + before.Stat.DataLength : 0);
        _ephemerals += (next?.Stat.EphemeralOwner > 0 ? 1 : 0) - (previous?.Stat.EphemeralOwner > 0 ? 1 : 0);
    }

    /// <summary>Writes the non-zero deltas into a pending entry.</summary>
    public void WriteTo(Dictionary<string, AttributeValue> item)
    {
        foreach (var (name, delta) in new[] { ("dNodes", _nodes), ("dBytes", _bytes), ("dEphemerals", _ephemerals) })
        {
            if (delta != 0)
            {
                item[name] = N(delta);
            }
        }
    }
}
