using ZkGateway.Backend.Aws;
using ZkGateway.Testing;

namespace ZkGateway.Aws.Tests;

/// <summary>A freshly provisioned deployment on the emulators, deleted again on dispose.</summary>
public sealed class EmulatorDeployment : IAsyncDisposable
{
    private EmulatorDeployment(AwsSettings settings)
    {
        Settings = settings;
        Clients = new AwsClients(settings);
    }

    public AwsSettings Settings { get; }

    public AwsClients Clients { get; }

    public static async Task<EmulatorDeployment> CreateAsync(string prefix = "t")
    {
        var deployment = new EmulatorDeployment(await AwsEmulators.NewDeploymentAsync(prefix));
        await AwsProvisioner.ProvisionAsync(deployment.Clients);
        return deployment;
    }

    public async ValueTask DisposeAsync()
    {
        await AwsProvisioner.DeleteAsync(Settings);
        Clients.Dispose();
    }
}
