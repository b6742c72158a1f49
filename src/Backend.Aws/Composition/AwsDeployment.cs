using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging;
using ZkGateway.Backend.Functions;
using ZkGateway.Backend.Messages;
using ZkGateway.Backend.Primitives;
using ZkGateway.Backend.Quotas;

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
        if (settings.WritePath == WritePathMode.Gateway)
        {
            return await StartWritingGatewayAsync(settings, options, sink, loggers, cancellationToken).ConfigureAwait(false);
        }
        var clients = new AwsClients(settings);
        Metering.CostMeter.Enabled = true;
        AwsCostMetering.Attach(clients, Metering.CostMeter.Shared);
        try
        {
            // A half-imported tree is not served (AwsTreeImport): the operator reruns the import first.
            await ImportMarker.ThrowIfUnfinishedAsync(clients, cancellationToken).ConfigureAwait(false);
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

    /// <summary>
    /// A gateway on the gateway write path: it hosts the writer and distributor itself (<see cref="GatewayWriter"/>),
    /// committing through the write head; its inbox only brings other gateways' watch triggers (and,
    /// rarely, replies to its requests that another gateway applied for it).
    /// </summary>
    private static async Task<FaaSBackend> StartWritingGatewayAsync(AwsSettings settings, BackendOptions options, INotificationSink sink, ILoggerFactory? loggers, CancellationToken cancellationToken)
    {
        if (settings.UserStorage != UserStorageMode.KeyValue)
        {
            throw new ArgumentException("The gateway write path keeps system and user state in one DynamoDB item per node: it needs --aws.userStorage=key-value.");
        }
        var clients = new AwsClients(settings);
        Metering.CostMeter.Enabled = true;
        AwsCostMetering.Attach(clients, Metering.CostMeter.Shared);
        try
        {
            // A half-imported tree is not served, nor bootstrapped over (AwsTreeImport).
            await ImportMarker.ThrowIfUnfinishedAsync(clients, cancellationToken).ConfigureAwait(false);
            loggers ??= NullLoggerFactory.Instance;
            string gatewayId = options.GatewayId;
            var store = new DynamoUserStorage(clients.DynamoDb, clients.S3, settings.DataTable, settings.BucketName, settings.CountersTable, settings.S3DisableChunkEncoding)
            {
                DeleteStaleDataInBackground = true,
                RaisesAppliedMarker = false,
            };
            var user = new GatedUserStorage(store);
            GatewayWriter? writer = null;
            // A first interest in a path is ordered by a reservation of this gateway's writer (no applied marker here).
            var interest = new DynamoWatchInterest(clients.DynamoDb, settings.WatchesTable, settings.CountersTable, gatewayId,
                reserveAfter: ct => (writer ?? throw new InvalidOperationException("The gateway's writer has not started.")).ReserveAfterAsync(ct));
            string inboxUrl = await SqsQueues.CreateInboxAsync(clients, gatewayId, cancellationToken).ConfigureAwait(false);
            var inbox = new SqsOrderedQueue<IReadOnlyList<InboxItem>>(clients, inboxUrl, InboxCodec.Instance);
            var writerQueue = new InProcess.ChannelQueue<WriteRequest>();
            var owner = new GatewayResources(clients, gatewayId, interest, writer: null, inbox, loggers.CreateLogger<GatewayResources>());
            var ledger = new EpochLedger(clients.DynamoDb, settings.CountersTable, TimeProvider.System, EpochLedger.DefaultWindow);
            var remote = new InboxOutbox(clients.DynamoDb, settings.WatchesTable, new InboxDirectory(clients).GetAsync, ledger, localGateway: gatewayId, planBasis: () => writer!.PlanBasis());
            var writerLogger = loggers.CreateLogger<GatewayWriter>();
            var providers = new RemoteGatewayProviders(new HeadSystemStorage(clients.DynamoDb, settings, gatewayId, writer: false), user, interest, writerQueue, inbox, new DynamoSessionLeases(clients), owner,
                ct => EpochLedger.ReadRoutedAsync(clients.DynamoDb, settings.CountersTable, gatewayId, ct));
            // No function consumes a queue on this path: every gateway also runs the heartbeat's takeover
            // of dead gateways' sessions, through its own writer (the lease store makes one of them win),
            // and the reaper over the node items' reap index (a second gateway's delete of a node already
            // reaped fails the writer's checks).
            var heartbeat = new HeartbeatFunction(new DynamoSessionLeases(clients), writerQueue, TimeProvider.System, writerLogger);
            return FaaSBackend.StartHosted(options, sink, providers, (local, stopping) =>
            {
                writer = new GatewayWriter(clients, new HeadSystemStorage(clients.DynamoDb, settings, gatewayId, writer: true, blobs: store), user, store, new LocalFirstOutbox(gatewayId, local, remote), options, TimeProvider.System, writerLogger,
                    QuotaGuard.For(options, store, loggers, TimeProvider.System));
                return Task.WhenAll(writer.RunAsync(writerQueue, CancellationToken.None), RunUntilStoppedAsync(() => heartbeat.RunAsync(HeartbeatInterval(options), stopping)));
            }, loggers: loggers, nodeTypes: new DynamoReapIndex(clients.DynamoDb, settings.DataTable));
        }
        catch
        {
            clients.Dispose();
            throw;
        }
    }

    /// <summary>How often a writing gateway looks for dead gateways' sessions: as the function host and the Lambda schedule do.</summary>
    private static TimeSpan HeartbeatInterval(BackendOptions options) => TimeSpan.FromMilliseconds(Math.Max(100, options.HeartbeatIntervalMs));

    private static async Task RunUntilStoppedAsync(Func<Task> run)
    {
        try
        {
            await run().ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
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
