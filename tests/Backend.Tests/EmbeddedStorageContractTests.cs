using ZkGateway.Backend.Embedded;
using ZkGateway.Backend.Embedded.Durability;
using ZkGateway.Backend.Primitives;
using ZkGateway.Testing.Contracts;

namespace ZkGateway.Backend.Tests;

/// <summary>The system-storage contract on the embedded store (memory, made durable by the log).</summary>
public sealed class EmbeddedSystemStorageTests : SystemStorageContract, IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "zkgw-system-" + Guid.NewGuid().ToString("N"));
    private DurableStore? _store;

    protected override Task<ISystemStorage> CreateStorageAsync()
    {
        _store = DurableStore.Open(_dir, 64L << 20);
        return Task.FromResult<ISystemStorage>(new EmbeddedSystemStorage(_store, Time));
    }

    public void Dispose()
    {
        _store?.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}

/// <summary>The lease contract on the in-memory store the embedded deployment uses.</summary>
public sealed class InMemorySessionLeasesTests : SessionLeaseStoreContract
{
    protected override Task<ISessionLeaseStore> CreateStoreAsync() => Task.FromResult<ISessionLeaseStore>(new InMemorySessionLeases());
}
