using ZkGateway.Compat.Infrastructure;
using ZkGateway.Testing;

namespace ZkGateway.Nemesis.Faults;

/// <summary>
/// The cloud services misbehave for every process of the deployment (both gateways and the function
/// host), through a proxy in front of each emulator (issue 17): for the fault's length a share of the
/// requests is throttled, fails with 500 or 503, is reset before it is forwarded, or is forwarded and
/// then reset (it took effect; the caller cannot know), and every request is slowed. Resets of
/// ReceiveMessage and DeleteMessage make SQS deliver a message late (after its visibility timeout)
/// and twice. The SDK's retries hide some; the rest reach the write path, which must answer
/// ConnectionLoss or wait, never a wrong answer. The target is the gateway that runs the function host.
/// </summary>
public sealed class CloudFaultNemesis(int seed) : INemesis
{
    private static readonly ProxyFault[] Kinds =
        [ProxyFault.Throttle, ProxyFault.InternalError, ProxyFault.Unavailable, ProxyFault.DropBeforeForward, ProxyFault.DropAfterForward];

    private readonly Random _random = new(seed);
    private readonly List<string> _notes = [];
    private CloudProxies? _proxies;

    public string Name => "cloud faults";

    public int ShortModeFaults => 2;

    public bool NextFaultAfterRecovery => true;

    public TimeSpan Hold(Random random) => TimeSpan.FromMilliseconds(1000 + random.Next(2000));

    public async Task PrepareAsync(ProcessZkTarget target)
    {
        var host = FunctionHostKillNemesis.Host(target);
        var settings = await AwsEmulators.NewDeploymentAsync("cloud");
        _proxies = await CloudProxies.StartAsync(settings);
        host.UseDeployment(_proxies.Route(settings));
    }

    public Task InjectAsync(ProcessZkTarget target)
    {
        double share;
        int latencyMs;
        lock (_random)
        {
            share = 0.2 + 0.3 * _random.NextDouble();
            latencyMs = _random.Next(50);
        }
        _notes.Add($"{share:P0} of requests faulted, {latencyMs} ms added");
        Proxies.Set(call =>
        {
            lock (_random)
            {
                return _random.NextDouble() < share ? Kinds[_random.Next(Kinds.Length)] : ProxyFault.None;
            }
        }, TimeSpan.FromMilliseconds(latencyMs));
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
        Proxies.FaultsInjected == 0 ? ["no request reached a proxy during a fault: nothing was tested"] : [];

    public IReadOnlyList<string> Notes => [.. _notes, "injected: " + Proxies.Summary()];

    private CloudProxies Proxies => _proxies ?? throw new InvalidOperationException("not prepared");
}
