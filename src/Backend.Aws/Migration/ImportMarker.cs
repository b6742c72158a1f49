using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using static ZkGateway.Backend.Aws.DynamoAttributes;

namespace ZkGateway.Backend.Aws;

/// <summary>What an unfinished import recorded: which tree, where it stands, and the zxid counter it will set.</summary>
public sealed record ImportProgress(string Digest, string Source, int Nodes, int Batches, int BatchesDone, long LastZxid, long ZxidCounter);

/// <summary>
/// The counters-table item <c>import</c> that exists exactly while an import into the deployment is
/// unfinished: written before the first node, raised after each batch, deleted after the zxid counter
/// is set. A gateway or function host that finds it refuses to start, since the tree is half there.
/// </summary>
internal sealed class ImportMarker(IAmazonDynamoDB db, string countersTable)
{
    private const string Name = "import";

    private static Dictionary<string, AttributeValue> Key => new() { ["name"] = S(Name) };

    public async ValueTask<ImportProgress?> ReadAsync(CancellationToken ct)
    {
        var item = (await db.GetItemAsync(new GetItemRequest { TableName = countersTable, Key = Key, ConsistentRead = true }, ct).ConfigureAwait(false)).Item;
        if (item is not { Count: > 0 })
        {
            return null;
        }
        return new ImportProgress(GetString(item, "digest") ?? "", GetString(item, "source") ?? "", (int)(GetLong(item, "nodes") ?? 0), (int)(GetLong(item, "batches") ?? 0),
            (int)(GetLong(item, "done") ?? 0), GetLong(item, "lastZxid") ?? 0, GetLong(item, "counter") ?? 0);
    }

    /// <summary>Records a new import; false when another one recorded itself first.</summary>
    public async ValueTask<bool> TryBeginAsync(ImportProgress import, CancellationToken ct)
    {
        try
        {
            await db.PutItemAsync(Named(new PutItemRequest
            {
                TableName = countersTable,
                Item = new()
                {
                    ["name"] = S(Name),
                    ["digest"] = S(import.Digest),
                    ["source"] = S(import.Source.Length > 0 ? import.Source : "-"),
                    ["nodes"] = N(import.Nodes),
                    ["batches"] = N(import.Batches),
                    ["done"] = N(0),
                    ["lastZxid"] = N(import.LastZxid),
                    ["counter"] = N(import.ZxidCounter),
                },
                ConditionExpression = "attribute_not_exists(#name)",
            }), ct).ConfigureAwait(false);
            return true;
        }
        catch (ConditionalCheckFailedException)
        {
            return false;
        }
    }

    /// <summary>Batches up to <paramref name="done"/> are written (a rerun with the same tree starts after them).</summary>
    public async ValueTask RecordBatchesAsync(int done, CancellationToken ct) =>
        await db.UpdateItemAsync(Named(new UpdateItemRequest
        {
            TableName = countersTable,
            Key = Key,
            UpdateExpression = "SET #done = :done",
            ExpressionAttributeValues = new() { [":done"] = N(done) },
        }), ct).ConfigureAwait(false);

    public async ValueTask DeleteAsync(CancellationToken ct) =>
        await db.DeleteItemAsync(new DeleteItemRequest { TableName = countersTable, Key = Key }, ct).ConfigureAwait(false);

    /// <summary>Refuses a start on a deployment with an unfinished import (one consistent GetItem).</summary>
    public static async Task ThrowIfUnfinishedAsync(AwsClients clients, CancellationToken ct)
    {
        if (await new ImportMarker(clients.DynamoDb, clients.Settings.CountersTable).ReadAsync(ct).ConfigureAwait(false) is { } import)
        {
            throw new InvalidOperationException(
                $"Deployment {clients.Settings.DeploymentName} holds an unfinished import ({import.BatchesDone} of {import.Batches} batches of {import.Nodes} nodes from {import.Source}): " +
                "run the same zkgateway import again to finish it (docs/migration.md).");
        }
    }
}
