using System.Collections.Concurrent;
using Amazon.SQS.Model;
using ZkGateway.Backend.Messages;
using ZkGateway.Backend.Primitives;

namespace ZkGateway.Backend.Aws;

/// <summary>Gateway inboxes by gateway id, looked up once; a gateway without one has gone.</summary>
internal sealed class InboxDirectory(AwsClients clients)
{
    private readonly ConcurrentDictionary<string, SqsOrderedQueue<IReadOnlyList<InboxItem>>?> _inboxes = new(StringComparer.Ordinal);

    public async ValueTask<IOrderedQueue<IReadOnlyList<InboxItem>>?> GetAsync(string gatewayId, CancellationToken cancellationToken)
    {
        if (_inboxes.TryGetValue(gatewayId, out var known) && known is not null)
        {
            return known;
        }
        try
        {
            string url = await SqsQueues.GetUrlAsync(clients.Sqs, clients.Settings.InboxQueue(gatewayId), cancellationToken).ConfigureAwait(false);
            return _inboxes[gatewayId] = new SqsOrderedQueue<IReadOnlyList<InboxItem>>(clients, url, InboxCodec.Instance);
        }
        catch (QueueDoesNotExistException)
        {
            return null;
        }
    }
}
