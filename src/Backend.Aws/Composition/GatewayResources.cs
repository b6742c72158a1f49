using Microsoft.Extensions.Logging;
using ZkGateway.Backend.Messages;

namespace ZkGateway.Backend.Aws;

/// <summary>
/// What a gateway on the deployment owns (see <see cref="AwsDeployment.StartGatewayAsync"/>): its watch
/// interest items, its inbox queue and its clients, removed or closed when the backend is disposed.
/// </summary>
internal sealed class GatewayResources(AwsClients clients, string gatewayId, DynamoWatchInterest interest, IDisposable? writer, SqsOrderedQueue<IReadOnlyList<InboxItem>> inbox, ILogger logger) : IAsyncDisposable
{
    public async ValueTask DisposeAsync()
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await interest.RemoveAllAsync(timeout.Token).ConfigureAwait(false);
            await SqsQueues.DeleteInboxAsync(clients, gatewayId, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // Best effort: a stale interest item or inbox only costs ignored messages.
            AwsLog.GatewayCleanupFailed(logger, e, gatewayId);
        }
        writer?.Dispose();
        inbox.Dispose();
        clients.Dispose();
    }
}
