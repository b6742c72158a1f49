using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Amazon.DynamoDBv2.Model;
using ZkGateway.Backend.Codecs;
using ZkGateway.Backend.Diagnostics;
using ZkGateway.Backend.Functions.Writer;
using ZkGateway.Backend.Metering;
using ZkGateway.Backend.Paths;
using ZkGateway.Backend.Primitives;
using ZkGateway.Backend.Quotas;
using WriteRequest = Amazon.DynamoDBv2.Model.WriteRequest;
using static ZkGateway.Backend.Aws.DynamoAttributes;

namespace ZkGateway.Backend.Aws;

/// <summary>How an import into an AWS deployment went.</summary>
/// <param name="Nodes">The nodes the deployment holds now.</param>
/// <param name="Batches">The batches of <see cref="AwsTreeImport.BatchNodes"/> nodes the tree took.</param>
/// <param name="ResumedAtBatch">0 for a fresh import; otherwise the batches an earlier, interrupted run had written.</param>
/// <param name="ZxidCounter">The zxid counter the deployment continues from (its first new zxid is one above).</param>
/// <param name="Cost">The import's billable calls as the cost meter counted them.</param>
public sealed record AwsImportResult(int Nodes, int Batches, int ResumedAtBatch, long ZxidCounter, IReadOnlyList<CostMeter.Line> Cost);

/// <summary>
/// Writes a complete tree (a ZooKeeper data directory's or a dump's) straight into a provisioned AWS
/// deployment's storage, in the layout the writer's commits and the distributor's applies produce, so
/// a gateway started afterwards serves it as if it had been written through it (docs/migration.md).
/// <para>
/// Not atomic (DynamoDB has no transaction across thousands of items) but resumable: a marker item
/// (<see cref="ImportMarker"/>) is written first and names the tree by its SHA-256; nodes go in
/// batches of <see cref="BatchNodes"/> in path order, each batch recorded in the marker; the tree
/// statistics, the applied marker and the zxid counter are set last, then the marker is deleted.
/// While the marker exists gateways and function hosts refuse to start; a rerun with the same tree
/// continues after the last recorded batch (every write is a whole-item put, so a batch written again
/// is harmless), one with another tree is refused.
/// </para>
/// </summary>
public static class AwsTreeImport
{
    /// <summary>Nodes per batch: BatchWriteItem's limit of 25 items, one system and one user item per node.</summary>
    public const int BatchNodes = 25;

    /// <summary>The cost meter's operation name for the import's calls.</summary>
    public const string Operation = "import";

    /// <summary>The nodes a fresh deployment holds (InitialTree): a deployment holding only them is empty.</summary>
    private static readonly string[] InitialPaths = [ZkPath.Root, ZkPath.ZooKeeper, ZkPath.Quota, ZkPath.Config];

    /// <summary>
    /// Imports <paramref name="seed"/> (every node, "/" included, ephemerals already dropped), the state
    /// after <paramref name="lastZxid"/>; <paramref name="progress"/> gets (nodes written, nodes).
    /// </summary>
    /// <exception cref="InvalidOperationException">The deployment holds user nodes, or another tree's unfinished import, or is on the gateway write path with persistent user storage.</exception>
    public static async Task<AwsImportResult> RunAsync(AwsSettings settings, long lastZxid, IReadOnlyCollection<SeedNode> seed, string source, Action<long, long> progress, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(seed);
        ArgumentNullException.ThrowIfNull(progress);
        if (settings.WritePath == WritePathMode.Gateway && settings.UserStorage != UserStorageMode.KeyValue)
        {
            // Refused as the other refusals are (exit 1, nothing written); a gateway would refuse to start on it.
            throw new InvalidOperationException("The gateway write path keeps system and user state in one DynamoDB item per node: it needs --aws.userStorage=key-value.");
        }
        var nodes = ImportedQuotaUsage.Recount(seed).OrderBy(n => n.Path, StringComparer.Ordinal).ToList();
        if (nodes.Count == 0 || nodes[0].Path != ZkPath.Root)
        {
            throw new InvalidDataException("the tree to import has no root node");
        }
        using var clients = new AwsClients(settings);
        CostMeter.Enabled = true;
        AwsCostMetering.Attach(clients, CostMeter.Shared);
        using var charge = CostMeter.Begin(Operation);
        var db = clients.DynamoDb;
        var marker = new ImportMarker(db, settings.CountersTable);
        IImportLayout layout = settings.WritePath == WritePathMode.Gateway ? new GatewayPathImportLayout(clients) : new QueuePathImportLayout(clients);
        int batches = (nodes.Count + BatchNodes - 1) / BatchNodes;
        string digest = Digest(lastZxid, nodes, settings.WritePath);

        var import = await marker.ReadAsync(cancellationToken).ConfigureAwait(false);
        int resumedAt = 0;
        if (import is not null)
        {
            if (import.Digest != digest || import.Batches != batches)
            {
                throw new InvalidOperationException(
                    $"deployment {settings.DeploymentName} holds an unfinished import of another tree ({import.Nodes} nodes up to zxid 0x{import.LastZxid:x} from {import.Source}, " +
                    $"{import.BatchesDone} of {import.Batches} batches written): rerun that import with the same input to finish it, or delete and provision the deployment again");
            }
            resumedAt = import.BatchesDone;
        }
        else
        {
            if (await FindUserNodeAsync(db, layout.NodesTable, cancellationToken).ConfigureAwait(false) is { } found)
            {
                throw new InvalidOperationException($"deployment {settings.DeploymentName} already holds user nodes ({found}, …): import only into a new deployment or one that holds the initial tree alone");
            }
            // The next epoch, as the embedded import's gateway starts: every new zxid is above every imported one.
            long current = await layout.ReadCurrentZxidAsync(cancellationToken).ConfigureAwait(false);
            long counter = Math.Max(current, ((Math.Max(0, lastZxid) >> 32) + 1) << 32);
            import = new ImportProgress(digest, source, nodes.Count, batches, 0, lastZxid, counter);
            if (!await marker.TryBeginAsync(import, cancellationToken).ConfigureAwait(false))
            {
                throw new InvalidOperationException($"another import into deployment {settings.DeploymentName} began at the same time");
            }
        }

        var children = ChildNames(nodes);
        progress(Math.Min(nodes.Count, (long)resumedAt * BatchNodes), nodes.Count);
        for (int batch = resumedAt; batch < batches; batch++)
        {
            var slice = nodes.GetRange(batch * BatchNodes, Math.Min(BatchNodes, nodes.Count - batch * BatchNodes));
            await layout.WriteBatchAsync(slice, children, import.ZxidCounter, cancellationToken).ConfigureAwait(false);
            await marker.RecordBatchesAsync(batch + 1, cancellationToken).ConfigureAwait(false);
            progress(batch * (long)BatchNodes + slice.Count, nodes.Count);
            await Failpoints.HitAsync(Failpoints.ImportBatch, (batch + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), cancellationToken).ConfigureAwait(false);
        }

        await SetCountersAsync(db, settings.CountersTable, nodes, import.ZxidCounter, cancellationToken).ConfigureAwait(false);
        await layout.FinishAsync(import.ZxidCounter, cancellationToken).ConfigureAwait(false);
        await marker.DeleteAsync(cancellationToken).ConfigureAwait(false);
        return new AwsImportResult(nodes.Count, batches, resumedAt, import.ZxidCounter, [.. CostMeter.Shared.Snapshot().Where(l => l.Operation == Operation)]);
    }

    /// <summary>A node outside the initial tree in system storage, or null (a Scan that stops at the first found).</summary>
    private static async Task<string?> FindUserNodeAsync(Amazon.DynamoDBv2.IAmazonDynamoDB db, string table, CancellationToken ct)
    {
        var values = new Dictionary<string, AttributeValue>();
        for (int i = 0; i < InitialPaths.Length; i++)
        {
            values[$":p{i}"] = S(InitialPaths[i]);
        }
        var items = await ScanAllAsync(db, Named(new ScanRequest
        {
            TableName = table,
            // Lock-only items (a node locked but never created) are no nodes.
            FilterExpression = $"attribute_exists(#stat) AND NOT (#path IN ({string.Join(", ", values.Keys)}))",
            ProjectionExpression = "#path",
            ExpressionAttributeValues = values,
        }), ct, max: 1).ConfigureAwait(false);
        return items.Count > 0 ? GetString(items[0], "path") : null;
    }

    /// <summary>A node as user storage keeps it: the Stat clients see, every child named.</summary>
    internal static UserNode UserNodeOf(SeedNode node, IReadOnlyDictionary<string, List<string>> children) =>
        new(node.Path, node.Data, NodeKinds.VisibleStat(new SystemNode(node.Path, node.Stat, node.Acl)), node.Acl,
            (IReadOnlyCollection<string>?)children.GetValueOrDefault(node.Path) ?? []);

    private static Dictionary<string, List<string>> ChildNames(List<SeedNode> nodes)
    {
        var children = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var node in nodes)
        {
            if (ZkPath.Parent(node.Path) is { } parent)
            {
                if (!children.TryGetValue(parent, out var list))
                {
                    children[parent] = list = [];
                }
                list.Add(ZkPath.Name(node.Path));
            }
        }
        return children;
    }

    /// <summary>
    /// The deployment's counters, the zxid counter last of them: mntr's counts (as if every node's
    /// create had been popped by the distributor), the applied marker (its interest generation kept),
    /// and the counter itself. Each is a plain set, so a rerun after a crash here sets the same values.
    /// </summary>
    private static async Task SetCountersAsync(Amazon.DynamoDBv2.IAmazonDynamoDB db, string table, List<SeedNode> nodes, long counter, CancellationToken ct)
    {
        long bytes = nodes.Sum(n => (long)n.Path.Length + n.Stat.DataLength);
        long ephemerals = nodes.Count(n => n.Stat.EphemeralOwner > 0);
        await db.PutItemAsync(new PutItemRequest
        {
            TableName = table,
            Item = new()
            {
                ["name"] = S(DynamoTreeStatistics.Counter),
                ["nodes"] = N(nodes.Count),
                ["bytes"] = N(bytes),
                ["ephemerals"] = N(ephemerals),
                ["upTo"] = N(counter),
            },
        }, ct).ConfigureAwait(false);
        foreach (string name in new[] { AppliedMarker.CounterName, WriterFunction.ZxidCounter })
        {
            await db.UpdateItemAsync(new UpdateItemRequest
            {
                TableName = table,
                Key = new() { ["name"] = S(name) },
                UpdateExpression = "SET #v = :v",
                ExpressionAttributeNames = new() { ["#v"] = "value" },
                ExpressionAttributeValues = new() { [":v"] = N(counter) },
            }, ct).ConfigureAwait(false);
        }
    }

    /// <summary>SHA-256 over the tree as imported (every field written), so a rerun can tell the same input from another.</summary>
    private static string Digest(long lastZxid, List<SeedNode> nodes, WritePathMode writePath)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        byte[] number = new byte[8];
        void Long(long value)
        {
            BinaryPrimitives.WriteInt64BigEndian(number, value);
            hash.AppendData(number);
        }
        void Bytes(byte[]? value)
        {
            Long(value?.Length ?? -1);
            hash.AppendData(value ?? []);
        }
        Long(lastZxid);
        if (writePath == WritePathMode.Gateway)
        {
            // Another layout: a rerun on the other write path would mix both (queue-path digests unchanged).
            Bytes(Encoding.UTF8.GetBytes("writePath=gateway"));
        }
        foreach (var node in nodes)
        {
            Bytes(Encoding.UTF8.GetBytes(node.Path));
            Bytes(node.Data);
            Bytes(StorageCodec.EncodeStat(node.Stat));
            Bytes(StorageCodec.EncodeAcl(node.Acl));
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
