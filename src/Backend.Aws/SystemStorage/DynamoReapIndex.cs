using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using ZkGateway.Backend.Primitives;
using ZkGateway.Jute.Data;
using static ZkGateway.Backend.Aws.DynamoAttributes;

namespace ZkGateway.Backend.Aws;

/// <summary>
/// The sparse global secondary index that lists container and TTL nodes for the reaper (ZooKeeper's
/// DataTree keeps the same two sets): only their items carry the index's hash key <see cref="Attribute"/>
/// (always "0"; the range key is <c>path</c>), so the index holds just them and a reaper pass is one
/// Query, whatever the size of the tree. The queue path keeps it on <c>D-nodes</c> (the commit sets
/// the key, <see cref="DynamoCommitBuilder"/>); the gateway write path, whose node items are the
/// system state, on <c>D-data</c> (the apply step sets it with the item's kind marker,
/// <see cref="DynamoUserStorage.KindMarkerAttr"/>).
/// </summary>
internal sealed class DynamoReapIndex(IAmazonDynamoDB db, string table) : INodeTypeIndex
{
    public const string IndexName = "reapable";

    /// <summary>The index's hash key, present (value "0") exactly on container and TTL nodes.</summary>
    public const string Attribute = "reapShard";

    /// <summary>The clause of a node's commit update that lists it; its value is <see cref="Value"/> as <c>:reap</c>.</summary>
    public const string SetClause = ", #reapShard = :reap";

    private const string Shard = "0";

    public static AttributeValue Value => S(Shard);

    /// <summary>
    /// Whether a node belongs in the index: containers and TTL nodes carry negative owner markers. An
    /// owner never changes while a node lives, so a node is listed from its creation to its deletion.
    /// </summary>
    public static bool Lists(Stat stat) => stat.EphemeralOwner < 0;

    /// <summary>
    /// The container and TTL nodes (one Query, paginated). The index is eventually consistent: a node
    /// created a moment ago may be missing (the next pass finds it) and one deleted a moment ago may
    /// still be listed (the reaper reads each candidate consistently).
    /// </summary>
    public async ValueTask<IReadOnlyList<string>> ListContainersAndTtlNodesAsync(CancellationToken cancellationToken = default)
    {
        var items = await QueryAllAsync(db, Named(new QueryRequest
        {
            TableName = table,
            IndexName = IndexName,
            KeyConditionExpression = "#reapShard = :s",
            ExpressionAttributeValues = new() { [":s"] = S(Shard) },
            ProjectionExpression = "#path",
        }), cancellationToken).ConfigureAwait(false);
        return [.. items.Select(item => GetString(item, "path")).OfType<string>()];
    }
}
