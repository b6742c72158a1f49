using ZkGateway.Backend.Embedded;
using ZkGateway.Backend.Primitives;
using ZkGateway.Testing.Contracts;

namespace ZkGateway.Backend.Tests;

/// <summary>The system-storage contract on the embedded SQLite store.</summary>
public sealed class EmbeddedSystemStorageTests : SystemStorageContract, IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "zkgw-system-" + Guid.NewGuid().ToString("N"));
    private SqliteDatabase? _db;

    protected override Task<ISystemStorage> CreateStorageAsync()
    {
        _db = SqliteDatabase.Open(_dir);
        return Task.FromResult<ISystemStorage>(new EmbeddedSystemStorage(_db, Time));
    }

    public void Dispose()
    {
        _db?.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}

/// <summary>The lease contract on the in-memory store the embedded deployment uses.</summary>
public sealed class InMemorySessionLeasesTests : SessionLeaseStoreContract
{
    protected override Task<ISessionLeaseStore> CreateStoreAsync() => Task.FromResult<ISessionLeaseStore>(new InMemorySessionLeases());
}
