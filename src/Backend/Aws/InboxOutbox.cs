using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using ZkGateway.Backend.Messages;
using ZkGateway.Backend.Paths;
using ZkGateway.Backend.Primitives;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.Backend.Aws;

/// <summary>
/// The distributor's outbox on AWS: buffers a batch's triggers, replies and session ends in zxid
/// order, finds the gateways interested in each triggered path (watches table; see
/// <see cref="DynamoWatchInterest"/>), and sends every gateway one inbox message per batch.
/// </summary>
public sealed class InboxOutbox(IAmazonDynamoDB dynamo, string watchesTable, Func<string, CancellationToken, ValueTask<IOrderedQueue<IReadOnlyList<InboxItem>>?>> inboxOf) : IGatewayOutbox
{
    private readonly List<(string? Gateway, InboxItem Item)> _buffer = [];

    public void Triggers(Txn txn)
    {
        foreach (var trigger in txn.Triggers)
        {
            _buffer.Add((null, InboxItem.ForTrigger(txn.Zxid, trigger)));
        }
    }

    public void Reply(ReplyAddress address, WriteResult result) => _buffer.Add((address.GatewayId, InboxItem.ForReply(result.Zxid, address.RequestId, result)));

    public void SessionClosed(long sessionId, string? gatewayId)
    {
        if (gatewayId is not null)
        {
            _buffer.Add((gatewayId, InboxItem.ForSessionClosed(0, sessionId)));
        }
    }

    public async ValueTask FlushAsync(CancellationToken cancellationToken = default)
    {
        if (_buffer.Count == 0)
        {
            return;
        }
        var interest = new Dictionary<string, List<(string Gateway, string Kind)>>(StringComparer.Ordinal);
        List<(string Path, string Gateway)>? recursive = null;
        foreach (var (gateway, item) in _buffer)
        {
            if (gateway is null && !interest.ContainsKey(item.Trigger.Path))
            {
                interest[item.Trigger.Path] = await InterestInAsync(item.Trigger.Path, cancellationToken).ConfigureAwait(false);
                recursive ??= await RecursiveInterestAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        var perGateway = new Dictionary<string, List<InboxItem>>(StringComparer.Ordinal);
        void Add(string gateway, InboxItem item)
        {
            if (!perGateway.TryGetValue(gateway, out var list))
            {
                perGateway[gateway] = list = [];
            }
            list.Add(item);
        }
        foreach (var (gateway, item) in _buffer)
        {
            if (gateway is not null)
            {
                Add(gateway, item);
                continue;
            }
            var type = item.Trigger.Type;
            var told = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (g, kind) in interest[item.Trigger.Path])
            {
                bool wants = kind == "data" ? type != EventType.NodeChildrenChanged : type is EventType.NodeChildrenChanged or EventType.NodeDeleted;
                if (wants && told.Add(g))
                {
                    Add(g, item);
                }
            }
            if (type != EventType.NodeChildrenChanged)
            {
                foreach (var (path, g) in recursive ?? [])
                {
                    if (ZkPath.IsAncestorOrSelf(path, item.Trigger.Path) && told.Add(g))
                    {
                        Add(g, item);
                    }
                }
            }
        }
        _buffer.Clear();

        foreach (var (gateway, items) in perGateway)
        {
            // A gateway without an inbox has gone: its sessions expire, nothing waits for these.
            if (await inboxOf(gateway, cancellationToken).ConfigureAwait(false) is { } inbox)
            {
                await inbox.SendAsync(items, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task<List<(string Gateway, string Kind)>> InterestInAsync(string path, CancellationToken ct)
    {
        var result = new List<(string, string)>();
        var request = new QueryRequest
        {
            TableName = watchesTable,
            KeyConditionExpression = "#p = :p",
            ExpressionAttributeNames = new() { ["#p"] = "path" },
            ExpressionAttributeValues = new() { [":p"] = new AttributeValue { S = path } },
            ConsistentRead = true,
        };
        do
        {
            var response = await dynamo.QueryAsync(request, ct).ConfigureAwait(false);
            foreach (var item in response.Items ?? [])
            {
                string sk = item["watcher"].S;
                int hash = sk.LastIndexOf('#');
                result.Add((sk[..hash], sk[(hash + 1)..]));
            }
            request.ExclusiveStartKey = response.LastEvaluatedKey is { Count: > 0 } next ? next : null;
        }
        while (request.ExclusiveStartKey is not null);
        return result;
    }

    /// <summary>Every recursive watch's path and gateway: sort keys "&lt;path&gt;#&lt;gateway&gt;", split at the last '#'.</summary>
    private Task<List<(string Path, string Gateway)>> RecursiveInterestAsync(CancellationToken ct) =>
        InterestInAsync(DynamoWatchInterest.RecursivePartition, ct);
}
