using ZkGateway.Backend;
using ZkGateway.Jute.Data;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.Backend.Tests;

/// <summary>Restarts on the same data directory: state, sessions and zxid monotonicity survive.</summary>
public sealed class DurabilityTests
{
    [Fact]
    public async Task Restart_keeps_nodes_sessions_and_grows_zxid()
    {
        await using var zk = await EmbeddedBackend.StartAsync();
        var grant = await zk.Backend.CreateSessionAsync(30000);
        await zk.CreateAsync(grant.SessionId, "/keep", "data");
        await zk.CreateAsync(grant.SessionId, "/keep/eph", mode: CreateMode.Ephemeral);
        await zk.CreateAsync(grant.SessionId, "/keep/seq-", mode: CreateMode.PersistentSequential);
        var set = await zk.Backend.SubmitAsync(grant.SessionId, new SetDataOperation("/keep", [9, 9], 0));
        long before = zk.Backend.LastZxid;

        await zk.RestartAsync();

        Assert.True(zk.Backend.LastZxid > before);
        var data = await zk.Backend.GetDataAsync("/keep", null);
        Assert.Equal([9, 9], data.Value!.Data);
        Assert.Equal(set.Result!.Stat, data.Value.Stat);
        Assert.Equal(["eph", "seq-0000000001"], (await zk.Backend.GetChildrenAsync("/keep", null)).Value!.Children.Order(StringComparer.Ordinal));
        // The session lives on (its lease restarts) and can be resumed with its password.
        Assert.True(await zk.Backend.TryResumeSessionAsync(grant.SessionId, grant.Password, 30000));
        Assert.False(await zk.Backend.TryResumeSessionAsync(grant.SessionId, new byte[16], 30000));
        var next = await zk.CreateAsync(grant.SessionId, "/keep/seq-", mode: CreateMode.PersistentSequential);
        Assert.Equal("/keep/seq-0000000002", next.Result!.Path);
        Assert.True(next.Zxid > before);
    }

    [Fact]
    public async Task Session_expiry_deletes_ephemerals_through_the_write_path()
    {
        await using var zk = await EmbeddedBackend.StartAsync(tickTime: 100);
        // Long enough that the lease cannot lapse while a loaded CI machine is still setting up
        // (300 ms did, once), short enough to keep the test quick.
        long session = await zk.NewSessionAsync(timeoutMs: 1500);
        Assert.Equal(ErrorCode.Ok, (await zk.CreateAsync(session, "/lease", mode: CreateMode.Ephemeral)).Result!.Error);
        Assert.Equal(ErrorCode.Ok, (await zk.Backend.ExistsAsync("/lease", 5)).Error);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (zk.Backend.IsSessionLive(session) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }
        Assert.False(zk.Backend.IsSessionLive(session));
        while (zk.Sink.ClosedSessions.IsEmpty && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }
        Assert.Equal(ErrorCode.NoNode, (await zk.Backend.ExistsAsync("/lease", null)).Error);
        Assert.Contains(zk.Sink.Drain(), e => e.Watcher == 5 && e.Event.Type == EventType.NodeDeleted && e.Event.Zxid > 0);
    }
}
