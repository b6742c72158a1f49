using System.Runtime.CompilerServices;
using Amazon.DynamoDBv2;
using Amazon.Runtime;
using Amazon.Runtime.Internal;
using Amazon.S3;
using Amazon.SQS;
using ZkGateway.Backend.Metering;

namespace ZkGateway.Backend.Aws;

/// <summary>
/// Feeds every request the SDK clients send into a <see cref="CostMeter"/>, with its billing units, and
/// into the <see cref="Diagnostics.CloudTrace"/> spans. Two steps join every SDK client's pipeline when
/// it is built (<see cref="EnsureHooked"/>, from <see cref="AwsClients"/>): DynamoDB requests ask for
/// their consumed capacity (<see cref="ConsumedCapacityRequests"/>), and every attempt is measured
/// (<see cref="CloudCallHandler"/>); <see cref="Attach"/> names the meter a deployment's clients count into.
/// </summary>
public static class AwsCostMetering
{
    /// <summary>The meter a client counts into, and whether its DynamoDB is an emulator (see <see cref="DynamoCapacity"/>).</summary>
    internal sealed record Binding(CostMeter Meter, bool DocumentedRules);

    private static readonly ConditionalWeakTable<IClientConfig, Binding> Bindings = new();
    private static readonly Lock HookLock = new();
    private static bool _hooked;

    public static void Attach(AwsClients clients, CostMeter meter)
    {
        // DynamoDB Local's transaction capacities are not AWS's: on an emulator they are computed.
        bool emulator = clients.Settings.DynamoDbEndpoint is { } endpoint && Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) && uri.IsLoopback;
        var binding = new Binding(meter, emulator);
        foreach (var client in new object[] { clients.DynamoDb, clients.S3, clients.Sqs })
        {
            if (client is AmazonServiceClient serviceClient)
            {
                Bindings.AddOrUpdate(serviceClient.Config, binding);
            }
        }
    }

    internal static Binding? BindingOf(IClientConfig config) => Bindings.TryGetValue(config, out var binding) ? binding : null;

    /// <summary>Adds the metering steps to every SDK client built from now on (once per process).</summary>
    internal static void EnsureHooked()
    {
        lock (HookLock)
        {
            if (!_hooked)
            {
                RuntimePipelineCustomizerRegistry.Instance.Register(new Customizer());
                _hooked = true;
            }
        }
    }

    private sealed class Customizer : IRuntimePipelineCustomizer
    {
        public string UniqueName => "ZkGateway.CostMetering";

        public void Customize(Type type, RuntimePipeline pipeline)
        {
            string? service = typeof(AmazonDynamoDBClient).IsAssignableFrom(type) ? "dynamodb"
                : typeof(AmazonS3Client).IsAssignableFrom(type) ? "s3"
                : typeof(AmazonSQSClient).IsAssignableFrom(type) ? "sqs"
                : null;
            if (service is null)
            {
                return;
            }
            // Inside the retry loop: each attempt is a request the service received and bills.
            pipeline.AddHandlerAfter<RetryHandler>(new CloudCallHandler(service));
            if (service == "dynamodb")
            {
                // Before marshalling: the flag must be in the request that goes out.
                pipeline.AddHandlerBefore<Marshaller>(new ConsumedCapacityRequests());
            }
        }
    }
}
