using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.S3;
using Amazon.S3.Model;
using Amazon.SQS;
using Amazon.SQS.Model;
using ZkGateway.Backend.Aws;
using ZkGateway.Testing;

namespace ZkGateway.Aws.Tests;

/// <summary>
/// The fault proxy's made-up errors are the ones the SDK knows from the real services: it parses
/// them into the services' own error codes, retries them (3 retries in AwsClients), and gives up with
/// them once its retries are spent. And a request reset after it was carried out did take effect.
/// </summary>
public sealed class FaultProxyTests
{
    [Fact]
    public async Task DynamoDB_throttling_is_retried_then_surfaces_with_its_code()
    {
        await using var d = await EmulatorDeployment.CreateAsync("fpdyn");
        await using var proxy = await FaultProxy.StartAsync(d.Settings.DynamoDbEndpoint!, CloudService.DynamoDb);
        using var clients = new AwsClients(d.Settings with { DynamoDbEndpoint = proxy.Endpoint });

        proxy.Plan = c => c.Sequence <= 2 ? ProxyFault.Throttle : ProxyFault.None;
        await clients.DynamoDb.DescribeTableAsync(d.Settings.CountersTable);
        Assert.Equal((2, 1), (proxy.Count("DescribeTable", ProxyFault.Throttle), proxy.Count("DescribeTable")));

        proxy.Plan = static _ => ProxyFault.Throttle;
        var e = await Assert.ThrowsAnyAsync<AmazonDynamoDBException>(() => clients.DynamoDb.DescribeTableAsync(d.Settings.CountersTable));
        Assert.Contains(e.ErrorCode, new[] { "ProvisionedThroughputExceededException", "ThrottlingException" });
        Assert.Equal(2 + 4, proxy.Count("DescribeTable", ProxyFault.Throttle));

        proxy.Plan = static _ => ProxyFault.InternalError;
        e = await Assert.ThrowsAnyAsync<AmazonDynamoDBException>(() => clients.DynamoDb.DescribeTableAsync(d.Settings.CountersTable));
        Assert.Equal(("InternalServerError", 500), (e.ErrorCode, (int)e.StatusCode));
    }

    [Fact]
    public async Task S3_slow_down_is_retried_then_surfaces_with_its_code()
    {
        await using var d = await EmulatorDeployment.CreateAsync("fps3");
        await using var proxy = await FaultProxy.StartAsync(d.Settings.S3Endpoint!, CloudService.S3);
        using var clients = new AwsClients(d.Settings with { S3Endpoint = proxy.Endpoint });
        var put = new PutObjectRequest { BucketName = d.Settings.BucketName, Key = "probe", ContentBody = "x" };

        proxy.Plan = c => c.Sequence <= 2 ? ProxyFault.Throttle : ProxyFault.None;
        await clients.S3.PutObjectAsync(put);
        Assert.Equal((2, 1), (proxy.Count("PUT", ProxyFault.Throttle), proxy.Count("PUT")));

        proxy.Plan = static _ => ProxyFault.Throttle;
        var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => clients.S3.GetObjectAsync(d.Settings.BucketName, "probe"));
        Assert.Equal(("SlowDown", 503), (e.ErrorCode, (int)e.StatusCode));
        Assert.Equal(4, proxy.Count("GET", ProxyFault.Throttle));
    }

    [Fact]
    public async Task SQS_throttling_is_retried_then_surfaces_with_its_code()
    {
        await using var d = await EmulatorDeployment.CreateAsync("fpsqs");
        await using var proxy = await FaultProxy.StartAsync(d.Settings.SqsEndpoint!, CloudService.Sqs);
        using var clients = new AwsClients(d.Settings with { SqsEndpoint = proxy.Endpoint });

        proxy.Plan = c => c.Sequence <= 2 ? ProxyFault.Throttle : ProxyFault.None;
        await clients.Sqs.ListQueuesAsync(new ListQueuesRequest { QueueNamePrefix = d.Settings.DeploymentName });
        Assert.Equal((2, 1), (proxy.Count("ListQueues", ProxyFault.Throttle), proxy.Count("ListQueues")));

        proxy.Plan = static _ => ProxyFault.Throttle;
        var e = await Assert.ThrowsAnyAsync<AmazonSQSException>(() => clients.Sqs.ListQueuesAsync(new ListQueuesRequest { QueueNamePrefix = d.Settings.DeploymentName }));
        Assert.Equal("RequestThrottled", e.ErrorCode);
        Assert.Equal(2 + 4, proxy.Count("ListQueues", ProxyFault.Throttle));
    }

    /// <summary>
    /// A conditional put whose answer is lost after it was carried out: the SDK sends it again, and the
    /// second try meets the first one's item. What the proxy makes is what the cloud does.
    /// </summary>
    [Fact]
    public async Task A_request_dropped_after_forwarding_took_effect()
    {
        await using var d = await EmulatorDeployment.CreateAsync("fpdrop");
        await using var proxy = await FaultProxy.StartAsync(d.Settings.DynamoDbEndpoint!, CloudService.DynamoDb);
        using var clients = new AwsClients(d.Settings with { DynamoDbEndpoint = proxy.Endpoint });
        proxy.Plan = c => c.Operation == "PutItem" && proxy.Count("PutItem", ProxyFault.DropAfterForward) == 0
            ? ProxyFault.DropAfterForward : ProxyFault.None;

        var put = new PutItemRequest
        {
            TableName = d.Settings.CountersTable,
            Item = new() { ["name"] = new AttributeValue("fault-proxy-probe") },
            ConditionExpression = "attribute_not_exists(#n)",
            ExpressionAttributeNames = new() { ["#n"] = "name" },
        };
        await Assert.ThrowsAsync<ConditionalCheckFailedException>(() => clients.DynamoDb.PutItemAsync(put));
        Assert.Equal((1, 1), (proxy.Count("PutItem", ProxyFault.DropAfterForward), proxy.Count("PutItem")));
    }

    /// <summary>
    /// The queue path's commit (<c>DynamoCommitter</c>) rests on this: a transaction resent with the same
    /// ClientRequestToken after its answer was lost succeeds instead of failing its own conditions.
    /// </summary>
    [Fact]
    public async Task A_transaction_resent_with_its_token_after_a_lost_answer_succeeds()
    {
        await using var d = await EmulatorDeployment.CreateAsync("fptoken");
        await using var proxy = await FaultProxy.StartAsync(d.Settings.DynamoDbEndpoint!, CloudService.DynamoDb);
        using var clients = new AwsClients(d.Settings with { DynamoDbEndpoint = proxy.Endpoint });
        proxy.Plan = c => c.Operation == "TransactWriteItems" && proxy.Count("TransactWriteItems", ProxyFault.DropAfterForward) == 0
            ? ProxyFault.DropAfterForward : ProxyFault.None;

        await clients.DynamoDb.TransactWriteItemsAsync(new TransactWriteItemsRequest
        {
            ClientRequestToken = Guid.NewGuid().ToString(),
            TransactItems =
            [
                new TransactWriteItem
                {
                    Put = new Put
                    {
                        TableName = d.Settings.CountersTable,
                        Item = new() { ["name"] = new AttributeValue("fault-proxy-token") },
                        ConditionExpression = "attribute_not_exists(#n)",
                        ExpressionAttributeNames = new() { ["#n"] = "name" },
                    },
                },
            ],
        });
        Assert.Equal((1, 1), (proxy.Count("TransactWriteItems", ProxyFault.DropAfterForward), proxy.Count("TransactWriteItems")));
    }
}
