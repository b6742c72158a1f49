using ZkGateway.Compat.Infrastructure;
using ZkGateway.Testing;

namespace ZkGateway.Nemesis.Faults;

/// <summary>
/// A partition between one gateway and the backend while its clients stay connected (issue 17): every
/// DynamoDB, S3 and SQS request of that gateway is reset by its proxies, while the other gateway and
/// the function host reach the emulators. Its clients must get ConnectionLoss or a wait, never a wrong
/// answer, and be served again once it heals (or, if their session expired meanwhile, be refused and
/// start a new one). The target is the gateway that is cut off.
/// </summary>
public sealed class BackendPartitionNemesis : INemesis
{
    private CloudProxies? _proxies;
    private int _partitions;

    public string Name => "backend partition";

    public int ShortModeFaults => 2;

    // Around the session timeout (4 s): some partitions outlast the cut-off gateway's sessions.
    public TimeSpan Hold(Random random) => TimeSpan.FromMilliseconds(1500 + random.Next(4000));

    public async Task PrepareAsync(ProcessZkTarget target)
    {
        if (target is not AwsGatewayServer gateway)
        {
            throw new ArgumentException("the partition nemesis needs an AWS gateway", nameof(target));
        }
        // Every deployment shares the emulators' endpoints; this one's name is not used.
        _proxies = await CloudProxies.StartAsync(await AwsEmulators.NewDeploymentAsync("part"));
        foreach (var (key, value) in _proxies.GatewayEnvironment())
        {
            gateway.GatewayEnvironment[key] = value;
        }
    }

    public Task InjectAsync(ProcessZkTarget target)
    {
        Proxies.Set(static _ => ProxyFault.DropBeforeForward, TimeSpan.Zero);
        _partitions++;
        return Task.CompletedTask;
    }

    public Task HealAsync(ProcessZkTarget target)
    {
        _proxies?.Heal();
        return Task.CompletedTask;
    }

    public async Task CleanUpAsync(ProcessZkTarget target)
    {
        if (_proxies is { } proxies)
        {
            _proxies = null;
            await proxies.DisposeAsync();
        }
    }

    public IReadOnlyList<string> Violations(IReadOnlyList<History.Operation> history) =>
        _partitions > 0 && Proxies.FaultsInjected == 0 ? ["the cut-off gateway made no request during a partition: nothing was tested"] : [];

    public IReadOnlyList<string> Notes => ["reset: " + Proxies.Summary()];

    private CloudProxies Proxies => _proxies ?? throw new InvalidOperationException("not prepared");
}
