using Amazon.DynamoDBv2.Model;
using Amazon.Runtime;
using ZkGateway.Backend.Metering;

namespace ZkGateway.Backend.Aws;

/// <summary>Feeds every request the SDK clients send into a <see cref="CostMeter"/>, with its billing units.</summary>
public static class AwsCostMetering
{
    public static void Attach(AwsClients clients, CostMeter meter)
    {
        Hook(clients.DynamoDb, "dynamodb", meter);
        Hook(clients.S3, "s3", meter);
        Hook(clients.Sqs, "sqs", meter);
    }

    private static void Hook(object client, string service, CostMeter meter)
    {
        if (client is AmazonServiceClient serviceClient)
        {
            serviceClient.BeforeRequestEvent += (_, e) =>
            {
                if (e is WebServiceRequestEventArgs args && args.Request is { } request)
                {
                    string api = request.GetType().Name;
                    api = api.EndsWith("Request", StringComparison.Ordinal) ? api[..^"Request".Length] : api;
                    meter.Count(service, api, Units(request));
                }
            };
        }
    }

    /// <summary>Billing units a request can be seen to cost: transactions 2 per item, batches 1 per item.</summary>
    private static long Units(AmazonWebServiceRequest request) => request switch
    {
        TransactWriteItemsRequest t => 2L * (t.TransactItems?.Count ?? 0),
        TransactGetItemsRequest t => 2L * (t.TransactItems?.Count ?? 0),
        BatchWriteItemRequest b => b.RequestItems?.Values.Sum(l => (long)l.Count) ?? 0,
        BatchGetItemRequest b => b.RequestItems?.Values.Sum(k => (long)(k.Keys?.Count ?? 0)) ?? 0,
        _ => 1,
    };
}
