using ZkGateway.Jute.Protocol;
using ZkGateway.Nemesis.Checking;
using ZkGateway.Nemesis.Workload;

namespace ZkGateway.Nemesis.Checks;

/// <summary>The watch and ephemeral checks catch what they exist to catch, and pass what ZooKeeper does.</summary>
public sealed class SessionChecksTests
{
    private static ConnectionRecord Connection(params (FrameRecord Frame, ReadRecord? Read)[] frames)
    {
        var record = new ConnectionRecord(0, 1);
        foreach (var (frame, read) in frames)
        {
            record.Frames.Add(frame);
            if (read is { } r)
            {
                record.Reads.Add(r);
            }
        }
        return record;
    }

    private static (FrameRecord, ReadRecord?) Read(int xid, int version) => (new FrameRecord(xid, null, null), new ReadRecord(xid, "/k", version, true));

    private static (FrameRecord, ReadRecord?) Changed() => (new FrameRecord(-1, EventType.NodeDataChanged, "/k"), null);

    [Fact]
    public void A_watch_that_fires_before_the_read_showing_its_change_passes()
    {
        var findings = WatchCheck.Check([Connection(Read(1, 0), Read(2, 0), Changed(), Read(3, 1), Changed(), Read(4, 2))]);
        Assert.Empty(findings.Violations);
        Assert.Empty(findings.Overtaken);
    }

    [Fact]
    public void A_read_that_shows_the_change_before_the_event_is_a_violation()
    {
        Assert.Single(WatchCheck.Check([Connection(Read(1, 0), Read(2, 1), Changed())]).Violations);
    }

    [Fact]
    public void A_watch_that_fires_twice_is_a_violation()
    {
        Assert.Single(WatchCheck.Check([Connection(Read(1, 0), Changed(), Changed())]).Violations);
    }

    [Fact]
    public void An_event_before_the_reply_of_the_read_that_set_its_watch_is_told_apart()
    {
        // The gateway's lost watch: the event, then the reply (old data) of the read that set it.
        var findings = WatchCheck.Check([Connection((new FrameRecord(1, null, null), null), Changed(), Read(2, 4), Read(3, 5))]);
        Assert.Empty(findings.Violations);
        Assert.Single(findings.Overtaken);
    }

    [Fact]
    public void Ephemerals_exist_exactly_while_their_session_lives()
    {
        Assert.Empty(EphemeralCheck.Check([new EphemeralObservation(0, 5, "/e/5", OnOwnSession: true, Exists: true, OwnerInStat: 5),
            new EphemeralObservation(0, 5, "/e/5", OnOwnSession: false, Exists: false, OwnerInStat: 0)]));
        Assert.Single(EphemeralCheck.Check([new EphemeralObservation(0, 5, "/e/5", OnOwnSession: true, Exists: false, OwnerInStat: 0)]));
        Assert.Single(EphemeralCheck.Check([new EphemeralObservation(0, 5, "/e/5", OnOwnSession: false, Exists: true, OwnerInStat: 5)]));
        Assert.Single(EphemeralCheck.Check([new EphemeralObservation(0, 5, "/e/5", OnOwnSession: true, Exists: true, OwnerInStat: 6)]));
    }
}
