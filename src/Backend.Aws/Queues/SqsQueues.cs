using Amazon.SQS;
using Amazon.SQS.Model;

namespace ZkGateway.Backend.Aws;

/// <summary>Creating and deleting the deployment's SQS FIFO queues (writer, distributor, gateway inboxes).</summary>
public static class SqsQueues
{
    /// <summary>
    /// Creates a FIFO queue (idempotent: CreateQueue with the same attributes returns the existing
    /// queue) and returns its URL. Content-based deduplication is off: every message carries an
    /// explicit id from its codec, so two equal bodies (two identical setData calls) are both kept.
    /// </summary>
    public static async Task<string> CreateFifoAsync(IAmazonSQS sqs, string name, TimeSpan? visibilityTimeout = null, CancellationToken cancellationToken = default)
    {
        var attributes = new Dictionary<string, string>
        {
            ["FifoQueue"] = "true",
            ["ContentBasedDeduplication"] = "false",
        };
        if (visibilityTimeout is { } timeout)
        {
            attributes["VisibilityTimeout"] = ((int)timeout.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        var response = await sqs.CreateQueueAsync(new CreateQueueRequest { QueueName = name, Attributes = attributes }, cancellationToken).ConfigureAwait(false);
        return response.QueueUrl;
    }

    public static async Task<string> GetUrlAsync(IAmazonSQS sqs, string name, CancellationToken cancellationToken = default) =>
        (await sqs.GetQueueUrlAsync(name, cancellationToken).ConfigureAwait(false)).QueueUrl;

    /// <summary>Creates a gateway's inbox <c>D-inbox-&lt;gatewayId&gt;.fifo</c> and returns its URL.</summary>
    public static Task<string> CreateInboxAsync(AwsClients clients, string gatewayId, CancellationToken cancellationToken = default) =>
        CreateFifoAsync(clients.Sqs, clients.Settings.InboxQueue(gatewayId), cancellationToken: cancellationToken);

    /// <summary>Deletes a gateway's inbox (a stopping gateway); absent is fine.</summary>
    public static async Task DeleteInboxAsync(AwsClients clients, string gatewayId, CancellationToken cancellationToken = default)
    {
        try
        {
            string url = await GetUrlAsync(clients.Sqs, clients.Settings.InboxQueue(gatewayId), cancellationToken).ConfigureAwait(false);
            await clients.Sqs.DeleteQueueAsync(url, cancellationToken).ConfigureAwait(false);
        }
        catch (QueueDoesNotExistException)
        {
        }
    }
}
