using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using ZkGateway.Backend.Aws;
using ZkGateway.Testing;

namespace ZkGateway.Aws.Tests;

public sealed class ProvisioningTests
{
    [Fact]
    public async Task Provisioning_twice_is_harmless_and_delete_removes_everything()
    {
        var settings = await AwsEmulators.NewDeploymentAsync("prov");
        using var clients = new AwsClients(settings);
        await AwsProvisioner.ProvisionAsync(settings);
        await AwsProvisioner.ProvisionAsync(settings);

        string[] tables = [settings.NodesTable, settings.CountersTable, settings.PendingTable, settings.SessionsTable, settings.LeasesTable, settings.WatchesTable, settings.DataTable];
        foreach (string table in tables)
        {
            var description = (await clients.DynamoDb.DescribeTableAsync(table)).Table;
            Assert.Equal(TableStatus.ACTIVE, description.TableStatus);
            Assert.Equal(BillingMode.PAY_PER_REQUEST, description.BillingModeSummary?.BillingMode ?? BillingMode.PAY_PER_REQUEST);
        }
        var pending = (await clients.DynamoDb.DescribeTableAsync(settings.PendingTable)).Table;
        Assert.Equal(["shard", "zxid"], pending.KeySchema.Select(k => k.AttributeName));
        var nodes = (await clients.DynamoDb.DescribeTableAsync(settings.NodesTable)).Table;
        Assert.Equal([DynamoSystemStorage.ReapIndex], nodes.GlobalSecondaryIndexes.Select(i => i.IndexName));
        // The gateway write path's reaper lists the node items of key-value user storage the same way.
        var data = (await clients.DynamoDb.DescribeTableAsync(settings.DataTable)).Table;
        Assert.Equal([DynamoSystemStorage.ReapIndex], data.GlobalSecondaryIndexes.Select(i => i.IndexName));
        var watches = (await clients.DynamoDb.DescribeTableAsync(settings.WatchesTable)).Table;
        Assert.Equal(["path", "watcher"], watches.KeySchema.Select(k => k.AttributeName));

        foreach (string queue in new[] { settings.WriterQueue, settings.DistributorQueue })
        {
            string url = await SqsQueues.GetUrlAsync(clients.Sqs, queue);
            var attributes = await clients.Sqs.GetQueueAttributesAsync(url, ["All"]);
            Assert.Equal("true", attributes.Attributes?["FifoQueue"]);
            Assert.Equal("false", attributes.Attributes?.GetValueOrDefault("ContentBasedDeduplication") ?? "false");
        }
        await clients.S3.PutObjectAsync(new Amazon.S3.Model.PutObjectRequest { BucketName = settings.BucketName, Key = "probe", ContentBody = "x" });
        await SqsQueues.CreateInboxAsync(clients, "gw-a");

        await AwsProvisioner.DeleteAsync(settings);
        await AwsProvisioner.DeleteAsync(settings);
        foreach (string table in tables)
        {
            await Assert.ThrowsAsync<ResourceNotFoundException>(() => clients.DynamoDb.DescribeTableAsync(table));
        }
        await Assert.ThrowsAsync<Amazon.SQS.Model.QueueDoesNotExistException>(() => SqsQueues.GetUrlAsync(clients.Sqs, settings.WriterQueue));
        await Assert.ThrowsAsync<Amazon.SQS.Model.QueueDoesNotExistException>(() => SqsQueues.GetUrlAsync(clients.Sqs, settings.InboxQueue("gw-a")));
        var buckets = await clients.S3.ListBucketsAsync();
        Assert.DoesNotContain(settings.BucketName, (buckets.Buckets ?? []).Select(b => b.BucketName));
    }

    [Fact]
    public async Task Nodes_and_data_tables_made_before_the_reap_index_get_it_when_provisioned_again()
    {
        var settings = await AwsEmulators.NewDeploymentAsync("gsi");
        using var clients = new AwsClients(settings);
        string[] tables = [settings.NodesTable, settings.DataTable];
        foreach (string table in tables)
        {
            await clients.DynamoDb.CreateTableAsync(new CreateTableRequest
            {
                TableName = table,
                KeySchema = [new KeySchemaElement("path", KeyType.HASH)],
                AttributeDefinitions = [new AttributeDefinition("path", ScalarAttributeType.S)],
                BillingMode = BillingMode.PAY_PER_REQUEST,
            });
        }
        try
        {
            await AwsProvisioner.ProvisionAsync(settings);
            foreach (string table in tables)
            {
                var index = Assert.Single((await clients.DynamoDb.DescribeTableAsync(table)).Table.GlobalSecondaryIndexes);
                Assert.Equal((DynamoSystemStorage.ReapIndex, IndexStatus.ACTIVE), (index.IndexName, index.IndexStatus));
                Assert.Equal([DynamoSystemStorage.ReapShardAttribute, "path"], index.KeySchema.Select(k => k.AttributeName));
            }
        }
        finally
        {
            await AwsProvisioner.DeleteAsync(settings);
        }
    }

    [Fact]
    public void Settings_name_every_resource_after_the_deployment()
    {
        var settings = AwsSettings.FromEnvironment("Prod", name => name switch
        {
            "ZKGW_AWS_SQS" => "http://127.0.0.1:1",
            "ZKGW_AWS_USER_STORAGE" => "key-value",
            "ZKGW_AWS_S3_NO_CHUNKED" => "1",
            _ => null,
        });
        Assert.Equal("Prod-nodes", settings.NodesTable);
        Assert.Equal("prod-data", settings.BucketName);
        Assert.Equal("Prod-inbox-g7.fifo", settings.InboxQueue("g7"));
        Assert.Equal("Prod-writer.fifo", settings.WriterQueue);
        Assert.Equal(UserStorageMode.KeyValue, settings.UserStorage);
        Assert.True(settings.S3DisableChunkEncoding);
        Assert.Equal("test", settings.AccessKey);
        Assert.Equal("acct-bucket", (settings with { BucketNameOverride = "acct-bucket" }).BucketName);
    }
}
