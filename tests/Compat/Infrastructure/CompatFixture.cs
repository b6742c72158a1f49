using System.Collections.Concurrent;

namespace ZkGateway.Compat.Infrastructure;

/// <summary>
/// One real ZooKeeper and one gateway for the whole collection, each started on first use and stopped on dispose.
/// A gateway that cannot be built or started is remembered, so every gateway test fails with the same reason.
/// </summary>
public class CompatFixture : IAsyncLifetime
{
    private readonly IReadOnlyList<KeyValuePair<string, string>> _properties;
    private readonly SemaphoreSlim _lock = new(1, 1);
    private readonly Dictionary<TargetKind, IZkTarget> _targets = [];
    private readonly Dictionary<TargetKind, Exception> _startFailures = [];

    public CompatFixture()
        : this([])
    {
    }

    /// <summary>Both targets start with these extra settings (system properties for ZooKeeper, --key=value for the gateway).</summary>
    protected CompatFixture(IReadOnlyList<KeyValuePair<string, string>> properties)
    {
        _properties = properties;
    }

    /// <summary>Real ZooKeeper transcripts by (client, scenario), so a gateway test need not re-run ZooKeeper.</summary>
    public ConcurrentDictionary<(ClientKind, string), ScenarioResult> ZooKeeperResults { get; } = new();

    public async Task<IZkTarget> GetAsync(TargetKind kind)
    {
        await _lock.WaitAsync();
        try
        {
            if (_startFailures.TryGetValue(kind, out var failed))
            {
                throw Failure(kind, failed);
            }

            if (_targets.TryGetValue(kind, out var t))
            {
                if (!t.IsRunning)
                {
                    await t.StartAsync();
                }

                return t;
            }

            IZkTarget target;
            try
            {
                target = kind switch
                {
                    TargetKind.ZooKeeper => new RealZooKeeper(_properties),
                    TargetKind.AwsGateway => new AwsGatewayServer(properties: _properties),
                    TargetKind.AwsGatewayKeyValue => new AwsGatewayServer(ZkGateway.Backend.Aws.UserStorageMode.KeyValue, _properties),
                    TargetKind.AwsGatewayWrites => new AwsGatewayServer(ZkGateway.Backend.Aws.UserStorageMode.KeyValue, _properties, ZkGateway.Backend.Aws.WritePathMode.Gateway),
                    _ => new GatewayServer(_properties),
                };
                _targets[kind] = target;
                await target.StartAsync();
            }
            catch (Exception e)
            {
                _startFailures[kind] = e;
                throw Failure(kind, e);
            }

            return target;
        }
        finally
        {
            _lock.Release();
        }
    }

    private static InvalidOperationException Failure(TargetKind kind, Exception e) =>
        new(kind switch
        {
            TargetKind.Gateway => $"gateway did not start: {e.Message}",
            TargetKind.AwsGateway or TargetKind.AwsGatewayKeyValue or TargetKind.AwsGatewayWrites => $"gateway on the AWS emulators ({kind}) did not start: {e.Message}",
            _ => $"real ZooKeeper did not start: {e.Message}",
        }, e);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var t in _targets.Values)
        {
            await t.DisposeAsync();
        }

        _targets.Clear();
        _lock.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class CompatCollection : ICollectionFixture<CompatFixture>
{
    public const string Name = "compat";
}
