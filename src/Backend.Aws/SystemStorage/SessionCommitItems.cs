using Amazon.DynamoDBv2.Model;
using ZkGateway.Backend.Primitives;
using static ZkGateway.Backend.Aws.DynamoAttributes;

namespace ZkGateway.Backend.Aws;

/// <summary>
/// A commit's items on <c>D-sessions</c>: DynamoDB allows one action per item in a transaction, so
/// every change a request makes to one session (created, closed, a part of a split close, ephemerals
/// added or removed) is merged into one action.
/// </summary>
internal sealed class SessionCommitItems(DynamoSessionTable sessions)
{
    /// <summary>The sessions a request touches: those whose ephemeral set changes, and the one it creates, closes or closes a part of.</summary>
    public static SortedSet<long> TouchedBy(CommitRequest request, IEnumerable<long> ephemeralOwners)
    {
        var touched = new SortedSet<long>(ephemeralOwners);
        if (request.CreatedSession is { } created)
        {
            touched.Add(created.SessionId);
        }
        if (request.ClosedSession != 0)
        {
            touched.Add(request.ClosedSession);
        }
        if (request.ClosingSession != 0)
        {
            touched.Add(request.ClosingSession);
        }
        return touched;
    }

    public async Task AddAsync(CommitRequest request, EphemeralChanges ephemerals, CommitTransaction tx, CancellationToken ct)
    {
        foreach (long id in TouchedBy(request, ephemerals.Owners))
        {
            var added = ephemerals.Added(id);
            var removed = ephemerals.Removed(id);
            if (id == request.ClosingSession && id != request.ClosedSession)
            {
                tx.Add(ClosePart(id, request.Pending.Zxid, removed), CommitItemKind.SessionMustExist);
            }
            else if (id == request.ClosedSession)
            {
                // The session and its ephemeral set go together (its ephemerals are deleted with it).
                tx.Add(new TransactWriteItem { Delete = new Delete { TableName = sessions.Table, Key = DynamoSessionTable.Key(id) } }, CommitItemKind.Session);
            }
            else if (request.CreatedSession is { } session && id == session.SessionId)
            {
                var item = DynamoSessionTable.Key(id);
                item["password"] = B(session.Password);
                item["timeoutMs"] = N(session.TimeoutMs);
                if (added is { Count: > 0 })
                {
                    item["ephemerals"] = SS(added);
                }
                // Unconditional, as the embedded store's INSERT OR REPLACE: a re-created session is the same session.
                tx.Add(new TransactWriteItem { Put = new Put { TableName = sessions.Table, Item = item } }, CommitItemKind.Session);
            }
            else if (added is { Count: > 0 } && removed is { Count: > 0 })
            {
                // ADD and DELETE on one attribute in one expression is rejected ("document paths
                // overlap"), so write the whole new set, conditional on the version we read.
                var (item, exists) = await ReplaceEphemeralsAsync(id, added, removed, ct).ConfigureAwait(false);
                // A missing session fails the condition for good (refuse), a moved version only until rebuilt.
                tx.Add(item, exists ? CommitItemKind.SessionVersion : CommitItemKind.SessionMustExist);
            }
            else if (added is { Count: > 0 })
            {
                tx.Add(Update(id, "ADD #ephemerals :p, #ephSeq :one",
                    // An ephemeral needs a live owner, not one being closed in parts; without this
                    // the update would create a session item out of nothing.
                    "attribute_exists(#password) AND attribute_not_exists(#closing)",
                    new() { [":p"] = SS(added), [":one"] = N(1) }), CommitItemKind.SessionMustExist);
            }
            else if (removed is { Count: > 0 })
            {
                // Unconditional: removing a gone session's ephemeral must not fail the delete (at worst
                // it leaves a key-only item, which readers ignore: no password, no session).
                tx.Add(Update(id, "DELETE #ephemerals :p ADD #ephSeq :one", null,
                    new() { [":p"] = SS(removed), [":one"] = N(1) }), CommitItemKind.Session);
            }
        }
    }

    /// <summary>
    /// A part of a split close: the session becomes closing (no new ephemerals: see the ADD above),
    /// loses this part's ephemerals, and records the part, which a writer processing the close again
    /// distributes if it is still pending (GetPendingClosePartsAsync).
    /// </summary>
    private TransactWriteItem ClosePart(long id, long zxid, SortedSet<string>? removed)
    {
        var values = new Dictionary<string, AttributeValue>
        {
            [":yes"] = new AttributeValue { BOOL = true },
            [":one"] = N(1),
            [":z"] = new AttributeValue { NS = [zxid.ToString(System.Globalization.CultureInfo.InvariantCulture)] },
        };
        string update = "SET #closing = :yes ADD #ephSeq :one, #closeParts :z";
        if (removed is { Count: > 0 })
        {
            update += " DELETE #ephemerals :p";
            values[":p"] = SS(removed);
        }
        // Closed meanwhile (a redelivered close already finished it): nothing to split.
        return Update(id, update, "attribute_exists(#password)", values);
    }

    /// <summary>
    /// A session's ephemeral set rewritten whole: the set and its version <c>ephSeq</c> are read, and
    /// the write is conditional on the version, so a concurrent change to another path of the set
    /// cancels the transaction (it is then rebuilt) instead of being lost.
    /// </summary>
    private async Task<(TransactWriteItem Item, bool SessionExists)> ReplaceEphemeralsAsync(long id, SortedSet<string> added, SortedSet<string> removed, CancellationToken ct)
    {
        var response = await sessions.ReadItemAsync(id, "#ephemerals, #ephSeq, #password", ct).ConfigureAwait(false);
        var set = new SortedSet<string>(GetStringSet(response.Item, "ephemerals"), StringComparer.Ordinal);
        set.UnionWith(added);
        set.ExceptWith(removed);
        long? version = GetLong(response.Item, "ephSeq");
        var values = new Dictionary<string, AttributeValue> { [":one"] = N(1) };
        string condition = "attribute_exists(#password) AND attribute_not_exists(#closing) AND ";
        if (version is { } v)
        {
            condition += "#ephSeq = :seq";
            values[":seq"] = N(v);
        }
        else
        {
            condition += "attribute_not_exists(#ephSeq)";
        }
        string update;
        if (set.Count > 0)
        {
            update = "SET #ephemerals = :set ADD #ephSeq :one";
            values[":set"] = SS(set);
        }
        else
        {
            // A DynamoDB set cannot be empty: no ephemerals is no attribute.
            update = "REMOVE #ephemerals ADD #ephSeq :one";
        }
        return (Update(id, update, condition, values), GetBytes(response.Item, "password") is not null);
    }

    private TransactWriteItem Update(long id, string update, string? condition, Dictionary<string, AttributeValue> values) =>
        TransactUpdate(sessions.Table, DynamoSessionTable.Key(id), update, condition, values);
}
