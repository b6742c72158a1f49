using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using static ZkGateway.Backend.Aws.DynamoAttributes;

namespace ZkGateway.Backend.Aws;

/// <summary>
/// The session records' part of applying a reserved batch: created sessions, closed ones (a tombstone
/// without password, which readers take for no session), and the ephemeral sets. Whoever applies a
/// batch may be its second applier (its writer stalled and another writer helped, or the other way
/// round), so every write is conditional on the item's stamp <c>z</c> being older than its own:
/// a repeated write changes nothing, and a late one cannot undo a newer change (a closed session
/// does not come back).
/// </summary>
internal sealed class HeadSessionWrites(IAmazonDynamoDB dynamo, string sessionsTable)
{
    /// <summary>Stamps per transaction: 4 × zxid + the step, so a transaction's steps on one item keep their order.</summary>
    private const int CreateStep = 0;
    private const int RemoveEphemeralsStep = 1;
    private const int AddEphemeralsStep = 2;
    private const int CloseStep = 3;

    public async Task ApplyAsync(IReadOnlyList<HeadBatchEntry> entries, CancellationToken ct)
    {
        // One session's writes in order; different sessions' in parallel.
        var perSession = new Dictionary<long, List<UpdateItemRequest>>();
        void Add(long session, UpdateItemRequest request)
        {
            if (!perSession.TryGetValue(session, out var list))
            {
                perSession[session] = list = [];
            }
            list.Add(request);
        }
        foreach (var entry in entries)
        {
            long zxid = entry.Txn.Zxid;
            if (entry.CreatedSession is { } created)
            {
                Add(created.SessionId, Stamped(created.SessionId, zxid, CreateStep, "SET #password = :password, #timeoutMs = :timeout", new()
                {
                    [":password"] = B(created.Password),
                    [":timeout"] = N(created.TimeoutMs),
                }));
            }
            foreach (var group in entry.Ephemerals.Where(e => e.Owner != entry.ClosedSession).GroupBy(e => e.Owner))
            {
                // DynamoDB refuses ADD and DELETE of one set in one update: removals, then additions.
                if (group.Where(e => !e.Added).Select(e => e.Path).ToList() is { Count: > 0 } removed)
                {
                    Add(group.Key, Stamped(group.Key, zxid, RemoveEphemeralsStep, "DELETE #ephemerals :paths", new() { [":paths"] = SS(removed) }));
                }
                if (group.Where(e => e.Added).Select(e => e.Path).ToList() is { Count: > 0 } added)
                {
                    Add(group.Key, Stamped(group.Key, zxid, AddEphemeralsStep, "ADD #ephemerals :paths", new() { [":paths"] = SS(added) }));
                }
            }
            if (entry.ClosedSession != 0)
            {
                Add(entry.ClosedSession, Stamped(entry.ClosedSession, zxid, CloseStep, "REMOVE #password, #timeoutMs, #ephemerals, #closing, #closeParts", []));
            }
        }
        await Task.WhenAll(perSession.Values.Select(list => WriteInOrderAsync(list, ct))).ConfigureAwait(false);
    }

    private UpdateItemRequest Stamped(long session, long zxid, int step, string update, Dictionary<string, AttributeValue> values)
    {
        values[":z"] = N((4 * zxid) + step);
        string set = update.StartsWith("SET ", StringComparison.Ordinal) ? update + ", #z = :z" : "SET #z = :z " + update;
        return Named(new UpdateItemRequest
        {
            TableName = sessionsTable,
            Key = DynamoSessionTable.Key(session),
            UpdateExpression = set,
            ConditionExpression = "attribute_not_exists(#z) OR #z < :z",
            ExpressionAttributeValues = values,
        });
    }

    private async Task WriteInOrderAsync(List<UpdateItemRequest> requests, CancellationToken ct)
    {
        foreach (var request in requests)
        {
            try
            {
                await dynamo.UpdateItemAsync(request, ct).ConfigureAwait(false);
            }
            catch (ConditionalCheckFailedException)
            {
                // Applied already (by the batch's other applier), or overtaken by a newer change.
            }
        }
    }
}
