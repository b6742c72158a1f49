using Amazon.DynamoDBv2.Model;
using ZkGateway.Backend.Functions.Writer;
using ZkGateway.Backend.Primitives;
using WriteRequest = Amazon.DynamoDBv2.Model.WriteRequest;
using static ZkGateway.Backend.Aws.DynamoAttributes;

namespace ZkGateway.Backend.Aws;

/// <summary>
/// The queue write path's layout: a system item in <c>D-nodes</c> per node, as the writer's commit
/// leaves it, and the user node in the deployment's user storage (S3 objects or <c>D-data</c> items).
/// The zxid counter the import sets is all the writer needs.
/// </summary>
internal sealed class QueuePathImportLayout(AwsClients clients) : IImportLayout
{
    private readonly IAwsUserStorage _user = AwsDeployment.CreateUserStorage(clients);

    public string NodesTable => clients.Settings.NodesTable;

    public ValueTask<long> ReadCurrentZxidAsync(CancellationToken ct) =>
        new DynamoCounters(clients.DynamoDb, clients.Settings.CountersTable).ReadAsync(WriterFunction.ZxidCounter, ct);

    public async ValueTask WriteBatchAsync(IReadOnlyList<SeedNode> nodes, IReadOnlyDictionary<string, List<string>> children, long stampZxid, CancellationToken ct)
    {
        await BatchWriteAllAsync(clients.DynamoDb, NodesTable, [.. nodes.Select(SystemItem)], ct).ConfigureAwait(false);
        await _user.ImportNodesAsync([.. nodes.Select(n => AwsTreeImport.UserNodeOf(n, children))], stampZxid, ct).ConfigureAwait(false);
    }

    public ValueTask FinishAsync(long zxidCounter, CancellationToken ct) => ValueTask.CompletedTask;

    /// <summary>A node's system item, as the writer's commit leaves it (DynamoCommitBuilder): stored Stat, ACL, the reap index's key on containers and TTL nodes.</summary>
    private static WriteRequest SystemItem(SeedNode node)
    {
        var item = new Dictionary<string, AttributeValue>
        {
            ["path"] = S(node.Path),
            ["stat"] = B(Codecs.StorageCodec.EncodeStat(node.Stat)),
            ["acl"] = B(Codecs.StorageCodec.EncodeAcl(node.Acl)),
        };
        if (DynamoReapIndex.Lists(node.Stat))
        {
            item[DynamoReapIndex.Attribute] = DynamoReapIndex.Value;
        }
        return new WriteRequest { PutRequest = new PutRequest { Item = item } };
    }
}
