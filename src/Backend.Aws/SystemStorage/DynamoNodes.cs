using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using ZkGateway.Backend.Codecs;
using ZkGateway.Backend.Primitives;
using static ZkGateway.Backend.Aws.DynamoAttributes;

namespace ZkGateway.Backend.Aws;

/// <summary>
/// The committed state of nodes in <c>D-nodes</c> (pk <c>path</c>): <c>stat</c> and <c>acl</c>, binary
/// as StorageCodec writes them. A node exists exactly when <c>stat</c> does: the item of a locked
/// missing node has only the lock attributes (see <see cref="DynamoNodeLocks"/>).
/// </summary>
internal sealed class DynamoNodes(IAmazonDynamoDB db, string table)
{
    public string Table => table;

    public static Dictionary<string, AttributeValue> Key(string path) => new() { ["path"] = S(path) };

    /// <summary>The node an item holds, or null for no item or a lock-only item.</summary>
    public static SystemNode? Read(string path, Dictionary<string, AttributeValue>? item) =>
        GetBytes(item, "stat") is { } stat
            ? new SystemNode(path, StorageCodec.DecodeStat(stat), StorageCodec.DecodeAcl(GetBytes(item, "acl") ?? []))
            : null;

    public async ValueTask<SystemNode?> GetAsync(string path, CancellationToken cancellationToken)
    {
        var response = await db.GetItemAsync(Named(new GetItemRequest
        {
            TableName = table,
            Key = Key(path),
            ConsistentRead = true,
            ProjectionExpression = "#stat, #acl",
        }), cancellationToken).ConfigureAwait(false);
        return Read(path, response.Item);
    }
}
