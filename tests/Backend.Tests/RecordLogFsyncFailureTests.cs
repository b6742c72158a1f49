using ZkGateway.Backend.Diagnostics;
using ZkGateway.Backend.Embedded.Durability;
using ZkGateway.Backend.Primitives;

namespace ZkGateway.Backend.Tests;

/// <summary>
/// fsyncgate (docs/failpoints.md, store-fsync): once an fsync of the log has failed, the log refuses
/// every later append, even when fsync works again, because the pages that failed may be gone while
/// a second fsync reports success. Only reopening (a restart, which recovers from what is on disk)
/// makes it append again. The failpoint is armed for this test's log directory only (the point's
/// subject): failpoints are process-wide and other test classes' stores run beside this one.
/// </summary>
public sealed class RecordLogFsyncFailureTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "zkgw-fsync-" + Guid.NewGuid().ToString("N"));
    private readonly string _trigger = Path.Combine(Path.GetTempPath(), "zkgw-fsync-trigger-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public void After_a_failed_fsync_every_append_is_refused_until_the_log_is_reopened()
    {
        Directory.CreateDirectory(_dir);
        using var armed = Failpoints.Arm($"{Failpoints.StoreFsync}@{_dir}=fail({_trigger})");
        var log = RecordLog.Create(_dir, 0);
        Assert.Equal(0, log.Append([1]));

        File.WriteAllText(_trigger, "");
        var failed = Assert.Throws<StorageUnavailableException>(() => log.Append([2]));
        Assert.True(failed.UntilRestart);
        Assert.True(File.Exists(_trigger + ".hit"));

        File.Delete(_trigger);
        var refused = Assert.Throws<StorageUnavailableException>(() => log.Append([3]));
        Assert.True(refused.UntilRestart);
        Assert.Contains("refused until restart", refused.Message, StringComparison.Ordinal);
        log.Dispose();

        // The restart: recovery reads what is on disk (record 1 was written, never acknowledged) and appends again.
        var recovered = RecordLog.Read(_dir, 0).ToList();
        Assert.Equal([1], recovered[0].Payload);
        Assert.DoesNotContain(recovered, r => r.Payload.SequenceEqual(new byte[] { 3 }));
        using var reopened = RecordLog.Create(_dir, recovered.Count);
        Assert.Equal(recovered.Count, reopened.Append([4]));
    }

    public void Dispose()
    {
        File.Delete(_trigger);
        File.Delete(_trigger + ".hit");
        Directory.Delete(_dir, recursive: true);
    }
}
