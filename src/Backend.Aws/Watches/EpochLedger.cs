using System.Globalization;
using System.Text;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using ZkGateway.Backend.Primitives;

namespace ZkGateway.Backend.Aws;

/// <summary>
/// The distributor's memory of triggers that may still be in flight: per gateway, the zxid of the last
/// trigger routed to it and when. Kept in the counters table (item <c>epochs</c>) because consecutive
/// batches of the one queue group may run in different Lambda execution environments: each batch
/// reads it (one consistent BatchGetItem, with the interest generation) before it looks up interest,
/// and a batch that plans triggers writes it back (one PutItem) before it writes nodes; gateways whose
/// read finds no node read their own entry (<see cref="ReadRoutedAsync"/>). An entry counts as in flight for
/// <see cref="Window"/> after its send; it is dropped after that (a gateway whose inbox is further
/// behind than that is not waited for, and its reads are not held).
/// <para>
/// Item: <c>name</c> = "epochs", <c>entries</c> = "&lt;gateway&gt;=&lt;zxid hex&gt;@&lt;sent, unix ms hex&gt;;…".
/// </para>
/// </summary>
public sealed class EpochLedger(IAmazonDynamoDB dynamo, string countersTable, TimeProvider time, TimeSpan window)
{
    private const string ItemName = "epochs";
    private const string EntriesAttr = "entries";

    /// <summary>How long a routed trigger counts as in flight: SQS's default visibility timeout, past which an unhandled inbox message comes again anyway.</summary>
    public static readonly TimeSpan DefaultWindow = TimeSpan.FromSeconds(30);

    private readonly Dictionary<string, (long Zxid, long SentAtMs)> _entries = new(StringComparer.Ordinal);
    private bool _loaded;

    public TimeSpan Window => window;

    /// <summary>A new batch: what another instance wrote since must be read again.</summary>
    public void BeginBatch() => _loaded = false;

    public async ValueTask EnsureLoadedAsync(CancellationToken cancellationToken)
    {
        if (_loaded)
        {
            return;
        }
        var response = await dynamo.GetItemAsync(new GetItemRequest
        {
            TableName = countersTable,
            Key = new() { ["name"] = new AttributeValue { S = ItemName } },
            ConsistentRead = true,
        }, cancellationToken).ConfigureAwait(false);
        _entries.Clear();
        foreach (var (gateway, entry) in ParseEntries(response.Item))
        {
            _entries[gateway] = entry;
        }
        _loaded = true;
    }

    /// <summary>
    /// The start of a batch that writes nodes: reads the ledger and the interest generation (kept on
    /// the applied marker's item, see AppliedMarker) in one consistent BatchGetItem, and returns the
    /// generation. Must complete before the batch looks up interest: a gateway's registration that
    /// this read does not see must come after it, so the raise of the applied marker reports the
    /// gateway as late if the registration also came before the batch's writes were complete.
    /// </summary>
    public async ValueTask<long> LoadWithGenerationAsync(CancellationToken cancellationToken)
    {
        var keys = new KeysAndAttributes
        {
            Keys =
            [
                new() { ["name"] = new AttributeValue { S = ItemName } },
                new() { ["name"] = new AttributeValue { S = AppliedMarker.CounterName } },
            ],
            ConsistentRead = true,
            // Not the applied item's per-gateway registrations: only the ledger and the generation.
            ProjectionExpression = "#n, #e, #g",
            ExpressionAttributeNames = new() { ["#n"] = "name", ["#e"] = EntriesAttr, ["#g"] = AppliedMarker.GenerationAttr },
        };
        var request = new BatchGetItemRequest { RequestItems = new() { [countersTable] = keys } };
        long generation = 0;
        _entries.Clear();
        while (true)
        {
            var response = await dynamo.BatchGetItemAsync(request, cancellationToken).ConfigureAwait(false);
            foreach (var item in response.Responses?.GetValueOrDefault(countersTable) ?? [])
            {
                if (item["name"].S == ItemName)
                {
                    foreach (var (gateway, entry) in ParseEntries(item))
                    {
                        _entries[gateway] = entry;
                    }
                }
                else
                {
                    generation = AppliedMarker.Number(item, AppliedMarker.GenerationAttr);
                }
            }
            // A throttled key comes back unprocessed: ask again for it alone.
            if (response.UnprocessedKeys?.GetValueOrDefault(countersTable) is not { Keys.Count: > 0 } rest)
            {
                break;
            }
            request = new BatchGetItemRequest { RequestItems = new() { [countersTable] = rest } };
            await Task.Delay(20, cancellationToken).ConfigureAwait(false);
        }
        _loaded = true;
        return generation;
    }

    /// <summary>
    /// The start of a batch whose writer knows the ledger as it stands (it wrote every batch since it
    /// last read it: the gateway write path, head unmoved): nothing is read.
    /// </summary>
    public void UseKnown() => _loaded = true;

    /// <summary>
    /// The stamp for nodes written now: the entries still in flight, raised by what this batch will
    /// route, with the batch's interest generation and highest zxid (so every node written has one).
    /// </summary>
    public EpochStamp? Stamp(IReadOnlyDictionary<string, long> planned, long generation, long batchZxid)
    {
        long cutoff = time.GetUtcNow().ToUnixTimeMilliseconds() - (long)window.TotalMilliseconds;
        return EpochStamp.Of(_entries.Where(e => e.Value.SentAtMs >= cutoff).Select(e => new KeyValuePair<string, long>(e.Key, e.Value.Zxid)).Concat(planned), generation, batchZxid);
    }

    /// <summary>
    /// Records the triggers this batch routes (gateway → highest zxid) and stores the ledger, expired
    /// entries dropped. Called with the planned routes before the batch writes its nodes, and with the
    /// actual routes before it sends: the second stores only what the first did not cover (a gateway
    /// that registered its interest between the two lookups), so a batch normally writes it once.
    /// </summary>
    public async ValueTask RecordAsync(IReadOnlyDictionary<string, long> routed, CancellationToken cancellationToken)
    {
        if (routed.Count == 0)
        {
            return;
        }
        await EnsureLoadedAsync(cancellationToken).ConfigureAwait(false);
        if (routed.All(r => _entries.TryGetValue(r.Key, out var known) && known.Zxid >= r.Value))
        {
            return;
        }
        long now = time.GetUtcNow().ToUnixTimeMilliseconds();
        long cutoff = now - (long)window.TotalMilliseconds;
        foreach (var (gateway, zxid) in routed)
        {
            long known = _entries.TryGetValue(gateway, out var entry) ? entry.Zxid : 0;
            _entries[gateway] = (Math.Max(known, zxid), now);
        }
        foreach (string expired in _entries.Where(e => e.Value.SentAtMs < cutoff).Select(e => e.Key).ToList())
        {
            _entries.Remove(expired);
        }
        var text = new StringBuilder();
        foreach (var (gateway, (zxid, sentAt)) in _entries)
        {
            text.Append(gateway).Append('=').Append(zxid.ToString("x", CultureInfo.InvariantCulture))
                .Append('@').Append(sentAt.ToString("x", CultureInfo.InvariantCulture)).Append(';');
        }
        await dynamo.PutItemAsync(new PutItemRequest
        {
            TableName = countersTable,
            Item = new()
            {
                ["name"] = new AttributeValue { S = ItemName },
                [EntriesAttr] = new AttributeValue { S = text.ToString() },
            },
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// A gateway's read that found no node (it carries no stamp): the zxid of the last trigger the
    /// ledger records as routed to <paramref name="gatewayId"/>, whatever its age; 0 if none. One
    /// consistent GetItem. Every trigger a batch planned for the gateway is in the ledger before that
    /// batch writes (deletes) anything, so waiting for it covers the deletions a NoNode reflects.
    /// </summary>
    public static async ValueTask<long> ReadRoutedAsync(IAmazonDynamoDB dynamo, string countersTable, string gatewayId, CancellationToken cancellationToken)
    {
        var response = await dynamo.GetItemAsync(new GetItemRequest
        {
            TableName = countersTable,
            Key = new() { ["name"] = new AttributeValue { S = ItemName } },
            ProjectionExpression = "#e",
            ExpressionAttributeNames = new() { ["#e"] = EntriesAttr },
            ConsistentRead = true,
        }, cancellationToken).ConfigureAwait(false);
        foreach (var (gateway, entry) in ParseEntries(response.Item))
        {
            if (gateway == gatewayId)
            {
                return entry.Zxid;
            }
        }
        return 0;
    }

    private static IEnumerable<(string Gateway, (long Zxid, long SentAtMs) Entry)> ParseEntries(Dictionary<string, AttributeValue>? item)
    {
        if (item is null || !item.TryGetValue(EntriesAttr, out var value) || value.S is not { } text)
        {
            yield break;
        }
        foreach (string entry in text.Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = entry.IndexOf('=', StringComparison.Ordinal);
            int at = entry.IndexOf('@', StringComparison.Ordinal);
            if (eq > 0 && at > eq
                && long.TryParse(entry.AsSpan(eq + 1, at - eq - 1), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out long zxid)
                && long.TryParse(entry.AsSpan(at + 1), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out long sentAt))
            {
                yield return (entry[..eq], (zxid, sentAt));
            }
        }
    }
}
