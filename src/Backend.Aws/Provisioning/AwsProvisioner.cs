using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.S3;
using Amazon.S3.Model;
using Amazon.SQS;
using Amazon.SQS.Model;

namespace ZkGateway.Backend.Aws;

/// <summary>
/// Creates (idempotently) and deletes a deployment's resources: the DynamoDB tables, the bucket and
/// the writer and distributor FIFO queues, named as in <see cref="AwsSettings"/> (the CloudFormation
/// template uses the same names). Gateway inboxes are made on demand by <see cref="SqsQueues"/>.
/// </summary>
public static class AwsProvisioner
{
    private sealed record TableSpec(string Name, (string Name, ScalarAttributeType Type) Hash, (string Name, ScalarAttributeType Type)? Range = null, IndexSpec? Index = null);

    /// <summary>A keys-only global secondary index (hash and range keys are strings).</summary>
    private sealed record IndexSpec(string Name, string Hash, string Range);

    private static IEnumerable<TableSpec> Tables(AwsSettings s) =>
    [
        // The sparse index of container and TTL nodes, for the reaper (DynamoSystemStorage.ReapIndex).
        new(s.NodesTable, ("path", ScalarAttributeType.S), Index: new(DynamoSystemStorage.ReapIndex, DynamoSystemStorage.ReapShardAttribute, "path")),
        new(s.CountersTable, ("name", ScalarAttributeType.S)),
        new(s.PendingTable, ("shard", ScalarAttributeType.S), ("zxid", ScalarAttributeType.N)),
        new(s.SessionsTable, ("sessionId", ScalarAttributeType.N)),
        new(s.LeasesTable, ("sessionId", ScalarAttributeType.N)),
        new(s.WatchesTable, ("path", ScalarAttributeType.S), ("watcher", ScalarAttributeType.S)),
        // The same index on the node items of key-value user storage: the gateway write path's reaper.
        new(s.DataTable, ("path", ScalarAttributeType.S), Index: new(DynamoSystemStorage.ReapIndex, DynamoSystemStorage.ReapShardAttribute, "path")),
    ];

    public static async Task ProvisionAsync(AwsSettings settings, CancellationToken cancellationToken = default)
    {
        using var clients = new AwsClients(settings);
        await ProvisionAsync(clients, cancellationToken).ConfigureAwait(false);
    }

    public static async Task ProvisionAsync(AwsClients clients, CancellationToken cancellationToken = default)
    {
        var settings = clients.Settings;
        var tables = Tables(settings).ToList();
        await Task.WhenAll(tables.Select(t => CreateTableAsync(clients.DynamoDb, t, cancellationToken))).ConfigureAwait(false);
        await CreateBucketAsync(clients.S3, settings, cancellationToken).ConfigureAwait(false);
        await SqsQueues.CreateFifoAsync(clients.Sqs, settings.WriterQueue, settings.QueueVisibilityTimeout, cancellationToken).ConfigureAwait(false);
        await SqsQueues.CreateFifoAsync(clients.Sqs, settings.DistributorQueue, settings.QueueVisibilityTimeout, cancellationToken).ConfigureAwait(false);
        await Task.WhenAll(tables.Select(t => WaitActiveAsync(clients.DynamoDb, t.Name, cancellationToken))).ConfigureAwait(false);
    }

    private static async Task CreateTableAsync(IAmazonDynamoDB db, TableSpec spec, CancellationToken ct)
    {
        var keys = new List<KeySchemaElement> { new(spec.Hash.Name, KeyType.HASH) };
        var attributes = new List<AttributeDefinition> { new(spec.Hash.Name, spec.Hash.Type) };
        if (spec.Range is { } range)
        {
            keys.Add(new KeySchemaElement(range.Name, KeyType.RANGE));
            attributes.Add(new AttributeDefinition(range.Name, range.Type));
        }
        if (spec.Index is { } index)
        {
            foreach (string name in new[] { index.Hash, index.Range }.Where(n => attributes.All(a => a.AttributeName != n)))
            {
                attributes.Add(new AttributeDefinition(name, ScalarAttributeType.S));
            }
        }
        try
        {
            await db.CreateTableAsync(new CreateTableRequest
            {
                TableName = spec.Name,
                KeySchema = keys,
                AttributeDefinitions = attributes,
                BillingMode = BillingMode.PAY_PER_REQUEST,
                GlobalSecondaryIndexes = spec.Index is { } gsi ? [IndexOf(gsi)] : null,
            }, ct).ConfigureAwait(false);
        }
        catch (ResourceInUseException)
        {
            // Exists already (a second run, or a concurrent one): provisioning is idempotent. A table
            // made by an older build lacks the index: add it (DynamoDB backfills it from the items).
            if (spec.Index is { } gsi)
            {
                await AddIndexAsync(db, spec.Name, gsi, attributes, ct).ConfigureAwait(false);
            }
        }
    }

    private static GlobalSecondaryIndex IndexOf(IndexSpec index) => new()
    {
        IndexName = index.Name,
        KeySchema = [new KeySchemaElement(index.Hash, KeyType.HASH), new KeySchemaElement(index.Range, KeyType.RANGE)],
        Projection = new Projection { ProjectionType = ProjectionType.KEYS_ONLY },
    };

    private static async Task AddIndexAsync(IAmazonDynamoDB db, string table, IndexSpec index, List<AttributeDefinition> attributes, CancellationToken ct)
    {
        await WaitActiveAsync(db, table, ct).ConfigureAwait(false);
        var described = await db.DescribeTableAsync(table, ct).ConfigureAwait(false);
        if (described.Table.GlobalSecondaryIndexes?.Any(i => i.IndexName == index.Name) == true)
        {
            return;
        }
        try
        {
            var gsi = IndexOf(index);
            await db.UpdateTableAsync(new UpdateTableRequest
            {
                TableName = table,
                AttributeDefinitions = attributes,
                GlobalSecondaryIndexUpdates =
                [
                    new GlobalSecondaryIndexUpdate
                    {
                        Create = new CreateGlobalSecondaryIndexAction { IndexName = gsi.IndexName, KeySchema = gsi.KeySchema, Projection = gsi.Projection },
                    },
                ],
            }, ct).ConfigureAwait(false);
        }
        catch (ResourceInUseException)
        {
            // Another provisioner is adding it at the same moment.
        }
    }

    /// <summary>Waits until the table and its indexes are ACTIVE (an index added later backfills first).</summary>
    private static async Task WaitActiveAsync(IAmazonDynamoDB db, string table, CancellationToken ct)
    {
        var delay = TimeSpan.FromMilliseconds(50);
        while (true)
        {
            var response = await db.DescribeTableAsync(table, ct).ConfigureAwait(false);
            if (response.Table.TableStatus == TableStatus.ACTIVE
                && (response.Table.GlobalSecondaryIndexes ?? []).All(i => i.IndexStatus == IndexStatus.ACTIVE))
            {
                return;
            }
            await Task.Delay(delay, ct).ConfigureAwait(false);
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 2000));
        }
    }

    private static async Task CreateBucketAsync(IAmazonS3 s3, AwsSettings settings, CancellationToken ct)
    {
        try
        {
            var request = new PutBucketRequest { BucketName = settings.BucketName };
            if (settings.S3Endpoint is null && settings.Region != "us-east-1")
            {
                // Outside us-east-1 AWS wants the region spelled out.
                request.BucketRegionName = settings.Region;
            }
            await s3.PutBucketAsync(request, ct).ConfigureAwait(false);
        }
        catch (AmazonS3Exception ex) when (ex.ErrorCode is "BucketAlreadyOwnedByYou" or "BucketAlreadyExists")
        {
        }
    }

    /// <summary>Deletes a deployment: tables, the bucket with its objects, the queues and any gateway inboxes.</summary>
    public static async Task DeleteAsync(AwsSettings settings, CancellationToken cancellationToken = default)
    {
        using var clients = new AwsClients(settings);
        await Task.WhenAll(Tables(settings).Select(async t =>
        {
            try
            {
                await clients.DynamoDb.DeleteTableAsync(t.Name, cancellationToken).ConfigureAwait(false);
            }
            catch (Amazon.DynamoDBv2.Model.ResourceNotFoundException)
            {
            }
        })).ConfigureAwait(false);

        try
        {
            var list = new ListObjectsV2Request { BucketName = settings.BucketName };
            ListObjectsV2Response page;
            do
            {
                page = await clients.S3.ListObjectsV2Async(list, cancellationToken).ConfigureAwait(false);
                foreach (var obj in page.S3Objects ?? [])
                {
                    await clients.S3.DeleteObjectAsync(settings.BucketName, obj.Key, cancellationToken).ConfigureAwait(false);
                }
                list.ContinuationToken = page.NextContinuationToken;
            }
            while (page.IsTruncated == true);
            await clients.S3.DeleteBucketAsync(settings.BucketName, cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonS3Exception ex) when (ex.ErrorCode == "NoSuchBucket")
        {
        }

        var queues = await clients.Sqs.ListQueuesAsync(new ListQueuesRequest { QueueNamePrefix = settings.DeploymentName + "-" }, cancellationToken).ConfigureAwait(false);
        foreach (string url in queues.QueueUrls ?? [])
        {
            string name = url[(url.LastIndexOf('/') + 1)..];
            // The prefix may match another deployment's name ("d" vs "d-2"): only ours.
            if (name == settings.WriterQueue || name == settings.DistributorQueue || name.StartsWith(settings.DeploymentName + "-inbox-", StringComparison.Ordinal))
            {
                try
                {
                    await clients.Sqs.DeleteQueueAsync(url, cancellationToken).ConfigureAwait(false);
                }
                catch (QueueDoesNotExistException)
                {
                }
            }
        }
    }
}
