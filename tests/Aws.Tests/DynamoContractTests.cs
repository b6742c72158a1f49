using ZkGateway.Backend.Aws;
using ZkGateway.Backend.Primitives;
using ZkGateway.Testing.Contracts;

namespace ZkGateway.Aws.Tests;

/// <summary>The system-storage contract (tests/Contracts) on DynamoDB Local.</summary>
public sealed class DynamoSystemStorageContractTests : SystemStorageContract, IAsyncLifetime
{
    private EmulatorDeployment? _deployment;

    public Task InitializeAsync() => Task.CompletedTask;

    protected override async Task<ISystemStorage> CreateStorageAsync()
    {
        _deployment = await EmulatorDeployment.CreateAsync("sys");
        return new DynamoSystemStorage(_deployment.Clients, Time);
    }

    public async Task DisposeAsync()
    {
        if (_deployment is not null)
        {
            await _deployment.DisposeAsync();
        }
    }
}

/// <summary>The session-lease contract on DynamoDB Local.</summary>
public sealed class DynamoSessionLeasesContractTests : SessionLeaseStoreContract, IAsyncLifetime
{
    private EmulatorDeployment? _deployment;

    public Task InitializeAsync() => Task.CompletedTask;

    protected override async Task<ISessionLeaseStore> CreateStoreAsync()
    {
        _deployment = await EmulatorDeployment.CreateAsync("lease");
        return new DynamoSessionLeases(_deployment.Clients);
    }

    public async Task DisposeAsync()
    {
        if (_deployment is not null)
        {
            await _deployment.DisposeAsync();
        }
    }
}
