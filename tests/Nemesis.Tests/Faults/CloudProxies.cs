using ZkGateway.Backend.Aws;
using ZkGateway.Testing;

namespace ZkGateway.Nemesis.Faults;

/// <summary>
/// A <see cref="FaultProxy"/> in front of each emulator (DynamoDB, S3, SQS), for the cloud nemeses: the
/// processes that should see the faults are given <see cref="Route"/>'s endpoints instead of the emulators'.
/// </summary>
internal sealed class CloudProxies : IAsyncDisposable
{
    private readonly FaultProxy[] _proxies;

    private CloudProxies(FaultProxy[] proxies) => _proxies = proxies;

    public static async Task<CloudProxies> StartAsync(AwsSettings upstream) =>
        new([
            await FaultProxy.StartAsync(upstream.DynamoDbEndpoint!, CloudService.DynamoDb),
            await FaultProxy.StartAsync(upstream.S3Endpoint!, CloudService.S3),
            await FaultProxy.StartAsync(upstream.SqsEndpoint!, CloudService.Sqs),
        ]);

    /// <summary><paramref name="settings"/> with every endpoint through its proxy.</summary>
    public AwsSettings Route(AwsSettings settings) =>
        settings with { DynamoDbEndpoint = _proxies[0].Endpoint, S3Endpoint = _proxies[1].Endpoint, SqsEndpoint = _proxies[2].Endpoint };

    /// <summary>The gateway's environment variables for the proxied endpoints (AwsGatewayServer.GatewayEnvironment).</summary>
    public IEnumerable<KeyValuePair<string, string>> GatewayEnvironment() =>
    [
        new("ZKGW_AWS_DYNAMODB", _proxies[0].Endpoint),
        new("ZKGW_AWS_S3", _proxies[1].Endpoint),
        new("ZKGW_AWS_SQS", _proxies[2].Endpoint),
    ];

    public void Set(Func<ProxiedCall, ProxyFault> plan, TimeSpan addedLatency)
    {
        foreach (var proxy in _proxies)
        {
            proxy.Plan = plan;
            proxy.AddedLatency = addedLatency;
        }
    }

    public void Heal() => Set(static _ => ProxyFault.None, TimeSpan.Zero);

    public int FaultsInjected => _proxies.Sum(p => p.FaultsInjected);

    /// <summary>The faults injected, per service, operation and kind, for the report.</summary>
    public string Summary() =>
        string.Join(", ", _proxies.SelectMany(p => p.Counts
                .Where(c => !c.Key.EndsWith("/None", StringComparison.Ordinal))
                .Select(c => (Name: $"{p.Service} {c.Key}", c.Value)))
            .OrderBy(c => c.Name, StringComparer.Ordinal)
            .Select(c => $"{c.Name} ×{c.Value}"));

    public async ValueTask DisposeAsync()
    {
        foreach (var proxy in _proxies)
        {
            await proxy.DisposeAsync();
        }
    }
}
