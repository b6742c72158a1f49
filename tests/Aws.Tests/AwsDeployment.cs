using ZkGateway.Backend.Aws;
using ZkGateway.Testing;

namespace ZkGateway.Aws.Tests;

/// <summary>A freshly provisioned deployment on the emulators, deleted again on dispose.</summary>
public sealed class AwsDeployment : IAsyncDisposable
{
    private AwsDeployment(AwsSettings settings)
    {
        Settings = settings;
        Clients = new AwsClients(settings);
    }

    public AwsSettings Settings { get; }

    public AwsClients Clients { get; }

    public static async Task<AwsDeployment> CreateAsync(string prefix = "t")
    {
        var deployment = new AwsDeployment(await AwsEmulators.NewDeploymentAsync(prefix));
        await AwsProvisioner.ProvisionAsync(deployment.Clients);
        return deployment;
    }

    public async ValueTask DisposeAsync()
    {
        await AwsProvisioner.DeleteAsync(Settings);
        Clients.Dispose();
    }
}
