using ZkGateway.Backend.Functions.Writer;
using ZkGateway.Backend.Primitives;

namespace ZkGateway.Backend.Aws;

/// <summary>
/// The gateway write path's layout (docs/serverless.md, "The gateway write path"): one <c>D-data</c>
/// item per node is both its user and its system state, so containers and TTL nodes carry their owner
/// marker and the reap index's key there, as the apply step writes them; no <c>D-nodes</c> items.
/// Last, the write head moves one batch on, to an empty batch at the import's zxid counter: a writer
/// that catches up takes its zxids from there. Without it, on a deployment a writing gateway had
/// bootstrapped, zxids would go on from that head's (0x3 after an import up to 0x74c: the compat test).
/// </summary>
internal sealed class GatewayPathImportLayout(AwsClients clients) : IImportLayout
{
    /// <summary>The head's writer name for the import's batch (no gateway is called so).</summary>
    public const string HeadWriter = "import";

    private readonly DynamoUserStorage _items = (DynamoUserStorage)AwsDeployment.CreateUserStorage(clients);
    private readonly WriteHead _head = new(clients.DynamoDb, clients.Settings.CountersTable);

    public string NodesTable => clients.Settings.DataTable;

    /// <summary>The head's zxid, or the queue path's counter when the deployment ran that path before (as a writer's catch-up takes it).</summary>
    public async ValueTask<long> ReadCurrentZxidAsync(CancellationToken ct)
    {
        long queuePath = await new DynamoCounters(clients.DynamoDb, clients.Settings.CountersTable).ReadAsync(WriterFunction.ZxidCounter, ct).ConfigureAwait(false);
        return Math.Max(queuePath, (await _head.ReadAsync(ct).ConfigureAwait(false)).LastZxid);
    }

    public ValueTask WriteBatchAsync(IReadOnlyList<SeedNode> nodes, IReadOnlyDictionary<string, List<string>> children, long stampZxid, CancellationToken ct) =>
        _items.ImportNodesAsync([.. nodes.Select(n => AwsTreeImport.UserNodeOf(n, children))], stampZxid,
            nodes.Where(n => DynamoReapIndex.Lists(n.Stat)).ToDictionary(n => n.Path, n => n.Stat.EphemeralOwner, StringComparer.Ordinal), ct);

    /// <summary>
    /// One conditional reservation of the next batch, as a writer's: it fails only if a gateway wrote
    /// meanwhile, which the import forbids. A rerun after a crash past it moves the head once more (harmless).
    /// </summary>
    public async ValueTask FinishAsync(long zxidCounter, CancellationToken ct)
    {
        var head = await _head.ReadAsync(ct).ConfigureAwait(false);
        var next = new HeadState(head.Seq + 1, Math.Max(zxidCounter, head.LastZxid), HeadWriter, Guid.NewGuid().ToString("N"), HeadBatchCodec.Encode([]));
        if (!await _head.TryReserveAsync(head.Seq, next, ct).ConfigureAwait(false))
        {
            throw new InvalidOperationException($"a gateway wrote to deployment {clients.Settings.DeploymentName} during the import: stop every gateway, delete and provision the deployment again, and import anew");
        }
    }
}
