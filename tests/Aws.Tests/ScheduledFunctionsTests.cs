using ZkGateway.Backend;
using ZkGateway.Backend.Aws;
using ZkGateway.Testing;

namespace ZkGateway.Aws.Tests;

/// <summary>
/// The heartbeat Lambda starts with <see cref="AwsFunctions.StartScheduledAsync"/>: its role
/// (deploy/aws/template.yaml) may read leases, sessions and the reap index and send to the writer
/// queue, but not write nodes, user storage or the pending list, so its start-up must not bootstrap
/// the tree or apply pending transactions as the writer's and distributor's do.
/// </summary>
public sealed class ScheduledFunctionsTests
{
    [Fact]
    public async Task The_scheduled_start_neither_bootstraps_nor_recovers_and_its_passes_run()
    {
        var settings = await AwsEmulators.NewDeploymentAsync("sched");
        await AwsProvisioner.ProvisionAsync(settings);
        try
        {
            using var clients = new AwsClients(settings);
            var system = new DynamoSystemStorage(clients);
            await using (var scheduled = await AwsFunctions.StartScheduledAsync(settings, new BackendOptions()))
            {
                Assert.True(await system.IsEmptyAsync());
                Assert.Equal(0, await scheduled.HeartbeatOnceAsync(CancellationToken.None));
                Assert.Equal(0, await scheduled.ReapOnceAsync(CancellationToken.None));
                Assert.True(await system.IsEmptyAsync());
            }

            // The writer's and distributor's start does bootstrap a fresh deployment.
            await using (await AwsFunctions.StartAsync(settings, new BackendOptions()))
            {
                Assert.False(await system.IsEmptyAsync());
            }
        }
        finally
        {
            await AwsProvisioner.DeleteAsync(settings);
        }
    }
}
