using ZkGateway.Jute.Framing;
using ZkGateway.Jute.Proto;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.LoadTool.Tests;

/// <summary>
/// The load tool's keep-alive: a session that only waits (a watcher during a fan-out) must outlive its
/// timeout, as an official client's does. Without the pings, ZooKeeper expired the watchers of the
/// million-watch phase and the fan-out never completed (docs/performance.md).
/// </summary>
public sealed class KeepAliveTests : IAsyncLifetime
{
    private InProcessGateway _gateway = null!;

    // A short tick so that a short session timeout is granted (the minimum is two ticks).
    public async Task InitializeAsync() => _gateway = await InProcessGateway.StartAsync("--tickTime=250");

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    [Fact]
    public async Task A_kept_alive_idle_session_outlives_its_timeout_and_an_unkept_one_expires()
    {
        // 3 s sessions: a ping every second, so the kept one survives a stall of up to 2 s on a loaded machine.
        await using var kept = await ZkConnection.ConnectAsync("127.0.0.1", _gateway.Port, sessionTimeoutMs: 3000);
        await using var unkept = await ZkConnection.ConnectAsync("127.0.0.1", _gateway.Port, sessionTimeoutMs: 3000);
        kept.KeepAlive();
        var opened = DateTime.UtcNow;

        // Neither sends a request of its own: the one without pings expires, and the server closes it.
        await unkept.Closed.WaitAsync(TimeSpan.FromSeconds(30));
        // Two timeouts at least, whenever the other expired.
        var twoTimeouts = opened.AddSeconds(6) - DateTime.UtcNow;
        if (twoTimeouts > TimeSpan.Zero)
        {
            await Task.Delay(twoTimeouts);
        }

        Assert.False(kept.Closed.IsCompleted, "the session that pings should still be open");
        var scratch = new FrameBuffer(64);
        var reply = await kept.SendAsync(OpCode.Exists, new ExistsRequest("/", false), scratch).WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(ErrorCode.Ok, reply.Err);
    }
}
