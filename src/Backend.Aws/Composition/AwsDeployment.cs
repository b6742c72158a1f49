using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging;
using ZkGateway.Backend.Functions;
using ZkGateway.Backend.Messages;
using ZkGateway.Backend.Primitives;

namespace ZkGateway.Backend.Aws;

/// <summary>
/// Assembles the AWS provider set: a gateway (<see cref="StartGatewayAsync"/>) and the functions
/// (<see cref="AwsFunctions"/>, for the function host; on Lambda the same handlers run per event
/// batch). Resources must exist (<see cref="AwsProvisioner"/>).
/// </summary>
public static class AwsDeployment
{
    /// <summary>
    /// A gateway on the deployment: creates its inbox queue, then serves reads from user storage and
    /// sends writes to the writer queue. Disposing the backend removes its watch interest and inbox.
    /// </summary>
    public static async Task<FaaSBackend> StartGatewayAsync(AwsSettings settings, BackendOptions options, INotificationSink sink, ILoggerFactory? loggers = null, CancellationToken cancellationToken = default)
    {
        // Before the first cloud call: ZKGW_TRACE_FILE asks for this process's spans.
        Diagnostics.CloudTraceFile.StartFromEnvironment("gateway " + options.GatewayId);
        var clients = new AwsClients(settings);
        Metering.CostMeter.Enabled = true;
        AwsCostMetering.Attach(clients, Metering.CostMeter.Shared);
        try
        {
            var system = new DynamoSystemStorage(clients);
            var user = CreateUserStorage(clients);
            await user.RefreshAppliedZxidAsync(cancellationToken).ConfigureAwait(false);
            var interest = new DynamoWatchInterest(clients.DynamoDb, settings.WatchesTable, settings.CountersTable, options.GatewayId);
            var writerQueue = await SqsOrderedQueue<WriteRequest>.OpenAsync(clients, settings.WriterQueue, WriteRequestCodec.Instance, cancellationToken).ConfigureAwait(false);
            string inboxUrl = await SqsQueues.CreateInboxAsync(clients, options.GatewayId, cancellationToken).ConfigureAwait(false);
            var inbox = new SqsOrderedQueue<IReadOnlyList<InboxItem>>(clients, inboxUrl, InboxCodec.Instance);
            loggers ??= NullLoggerFactory.Instance;
            var owner = new GatewayResources(clients, options.GatewayId, interest, writerQueue, inbox, loggers.CreateLogger<GatewayResources>());
            string gatewayId = options.GatewayId;
            return FaaSBackend.StartRemote(options, sink, new RemoteGatewayProviders(system, user, interest, writerQueue, inbox, new DynamoSessionLeases(clients), owner,
                ct => EpochLedger.ReadRoutedAsync(clients.DynamoDb, settings.CountersTable, gatewayId, ct)), loggers: loggers);
        }
        catch
        {
            clients.Dispose();
            throw;
        }
    }

    /// <summary>The user storage <see cref="AwsSettings.UserStorage"/> names: S3 objects, or DynamoDB items with large data in S3.</summary>
    internal static IAwsUserStorage CreateUserStorage(AwsClients clients)
    {
        var s = clients.Settings;
        return s.UserStorage switch
        {
            UserStorageMode.KeyValue => new DynamoUserStorage(clients.DynamoDb, clients.S3, s.DataTable, s.BucketName, s.CountersTable, s.S3DisableChunkEncoding),
            _ => new S3UserStorage(clients.S3, clients.DynamoDb, s.BucketName, s.CountersTable, s.S3DisableChunkEncoding),
        };
    }
}
