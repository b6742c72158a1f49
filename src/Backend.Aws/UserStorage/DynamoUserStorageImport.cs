using System.Text;
using Amazon.DynamoDBv2.Model;
using ZkGateway.Backend.Primitives;
using ZkGateway.Jute.Data;
using WriteRequest = Amazon.DynamoDBv2.Model.WriteRequest;
using static ZkGateway.Backend.Aws.DynamoAttributes;

namespace ZkGateway.Backend.Aws;

/// <summary>An import's write of whole nodes into the <c>D-data</c> items (see <see cref="IAwsUserStorage.ImportNodesAsync"/>).</summary>
public sealed partial class DynamoUserStorage
{
    /// <summary>
    /// One BatchWriteItem per 25 nodes (its limit; 25 items under the item limit stay far below its
    /// 16 MB), each item as <see cref="PutNodeAsync"/> makes it for a create: Stat, ACL, data inline or,
    /// above the item limit, in S3 under the version's key first, the child names, the write stamp.
    /// </summary>
    public ValueTask ImportNodesAsync(IReadOnlyList<UserNode> nodes, long stampZxid, CancellationToken cancellationToken = default) =>
        ImportNodesAsync(nodes, stampZxid, new Dictionary<string, long>(), cancellationToken);

    /// <summary>
    /// The same, for the gateway write path, where these items are the system state too: the nodes
    /// named in <paramref name="kindMarkers"/> (containers and TTL nodes) carry their owner marker and
    /// the reap index's key, as the apply step's create writes them.
    /// </summary>
    internal async ValueTask ImportNodesAsync(IReadOnlyList<UserNode> nodes, long stampZxid, IReadOnlyDictionary<string, long> kindMarkers, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        ArgumentNullException.ThrowIfNull(kindMarkers);
        var writes = new List<WriteRequest>(nodes.Count);
        foreach (var node in nodes)
        {
            var item = await ImportItemAsync(node, stampZxid, cancellationToken).ConfigureAwait(false);
            if (kindMarkers.TryGetValue(node.Path, out long marker))
            {
                item[KindMarkerAttr] = N(marker);
                item[DynamoReapIndex.Attribute] = DynamoReapIndex.Value;
            }
            writes.Add(new WriteRequest { PutRequest = new PutRequest { Item = item } });
        }
        await BatchWriteAllAsync(_dynamo, _table, writes, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask<Dictionary<string, AttributeValue>> ImportItemAsync(UserNode node, long stampZxid, CancellationToken ct)
    {
        byte[] stat = EncodeStat(node.Stat);
        byte[] acl = EncodeAcl(node.Acl);
        var item = new Dictionary<string, AttributeValue>
        {
            [PathAttr] = S(node.Path),
            [StatAttr] = B(stat),
            [AclAttr] = B(acl),
            [WriteStampAttr] = WriteStampOf(stampZxid, 0),
        };
        long size = AttributeSize(PathAttr, Encoding.UTF8.GetByteCount(node.Path)) + AttributeSize(StatAttr, stat.Length) + AttributeSize(AclAttr, acl.Length)
            + AttributeSize(DataAttr, node.Data?.Length ?? 0) + ChildrenSize(node.Children) + WriteStampSize;
        if (node.Data is null)
        {
            item[NullDataAttr] = Bool(true);
        }
        else if (size > _itemLimit)
        {
            item[DataRefAttr] = S(await PutDataObjectAsync(DataKey(node.Path, node.Stat.Mzxid), node.Stat.Mzxid, node.Data, ct).ConfigureAwait(false));
        }
        else if (node.Data.Length > 0)
        {
            item[DataAttr] = B(node.Data);
        }
        if (node.Children.Count > 0)
        {
            item[ChildrenAttr] = SS(node.Children);
        }
        return item;
    }
}
