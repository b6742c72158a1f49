using ZkGateway.Backend;
using ZkGateway.Backend.Aws;

namespace ZkGateway.Aws.Tests;

/// <summary>
/// A freshly provisioned deployment with its writer and distributor functions running in this
/// process, stopped and the deployment deleted on dispose. The functions may be given other
/// endpoints than the deployment's (a fault proxy's).
/// </summary>
internal sealed class RunningFunctions : IAsyncDisposable
{
    private readonly AwsSettings _deployment;
    private readonly AwsFunctions _functions;
    private readonly CancellationTokenSource _running = new();
    private readonly Task _run;

    private RunningFunctions(AwsSettings deployment, AwsFunctions functions)
    {
        _deployment = deployment;
        _functions = functions;
        _run = Task.Run(() => functions.RunAsync(_running.Token));
    }

    public static async Task<RunningFunctions> StartAsync(AwsSettings deployment, AwsSettings? functionEndpoints = null)
    {
        await AwsProvisioner.ProvisionAsync(deployment);
        return new RunningFunctions(deployment, await AwsFunctions.StartAsync(functionEndpoints ?? deployment, new BackendOptions { TickTime = 2000 }));
    }

    /// <summary>Gateway options as these tests use them: a unique id with a readable prefix.</summary>
    public static BackendOptions GatewayOptions(string id) => new() { TickTime = 2000, GatewayId = $"{id}-{Guid.NewGuid():N}"[..(id.Length + 9)] };

    public async ValueTask DisposeAsync()
    {
        await _running.CancelAsync();
        await _run.WaitAsync(TimeSpan.FromSeconds(30));
        await _functions.DisposeAsync();
        _running.Dispose();
        await AwsProvisioner.DeleteAsync(_deployment);
    }
}
