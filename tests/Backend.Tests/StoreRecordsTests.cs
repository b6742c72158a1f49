using ZkGateway.Backend.Embedded.Durability;
using ZkGateway.Backend.Primitives;
using ZkGateway.Jute;
using ZkGateway.Jute.Data;
using ZkGateway.Jute.Framing;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.Backend.Tests;

/// <summary>The embedded log's record format and its compact Stat: what is written is read back exactly.</summary>
public sealed class StoreRecordsTests
{
    [Fact]
    public void Compact_stats_round_trip_whatever_their_values()
    {
        var random = new Random(14);
        long[] edges = [0, 1, -1, long.MaxValue, long.MinValue, int.MaxValue, int.MinValue, 0x7FFF_FFFF_0000_0001, -0x10];
        long Any() => random.Next(3) == 0 ? edges[random.Next(edges.Length)] : random.NextInt64(long.MinValue, long.MaxValue) >> random.Next(64);
        int AnyInt() => (int)(Any() & 0xFFFF_FFFF) ^ (random.Next(2) == 0 ? 0 : int.MinValue);
        for (int i = 0; i < 2000; i++)
        {
            long zxid = Any();
            var stat = new Stat(random.Next(4) == 0 ? zxid : Any(), random.Next(4) == 0 ? zxid : Any(), Any(), Any(), AnyInt(), AnyInt(), AnyInt(), Any(), AnyInt(), AnyInt(), random.Next(4) == 0 ? zxid : Any());
            var buffer = new FrameBuffer(64);
            var writer = new JuteWriter(buffer);
            CompactStat.Write(ref writer, stat, zxid);
            CompactStat.WriteStandalone(ref writer, stat);
            var reader = new JuteReader(buffer.WrittenSpan);
            Assert.Equal(stat, CompactStat.Read(ref reader, zxid));
            Assert.Equal(stat, CompactStat.ReadStandalone(ref reader));
            Assert.Equal(0, reader.Remaining);
        }
    }

    [Fact]
    public void A_commit_record_reads_back_with_its_writes_sessions_and_changes()
    {
        long zxid = 5L << 32 | 9;
        var acl = Acl.OpenAclUnsafe;
        var other = new List<Acl> { new(Perms.Read, new Id("digest", "u:x")) };
        var created = new Stat(zxid, zxid, 100, 100, 0, 0, 0, 0, 3, 0, zxid);
        var parent = new Stat(1, 1, 50, 50, 0, 4, 0, 0, 0, 2, zxid);
        var ttl = created with { EphemeralOwner = -0x7F00_0000_0000_0010 };
        var txn = new Txn(zxid, 0, 7, null, new WriteResult(Jute.Protocol.ErrorCode.Ok, zxid),
            [NodeChange.PutWithData("/p/a", created, [1, 2, 3], acl), new NodeChange(NodeChangeKind.Put, "/p", parent),
             NodeChange.PutWithData("/p/null", created, null, other), new NodeChange(NodeChangeKind.Delete, "/p/gone", default)], []);
        var request = new CommitRequest(LockToken.New(), ["/p"],
            [new SystemNodeWrite("/p/a", new SystemNode("/p/a", created, acl)), new SystemNodeWrite("/p", new SystemNode("/p", parent, acl)),
             new SystemNodeWrite("/p/null", new SystemNode("/p/null", ttl, other)), new SystemNodeWrite("/p/gone", null),
             new SystemNodeWrite("/elsewhere", new SystemNode("/elsewhere", parent, other))],
            new SessionRecord(7, [9, 8, 7], 4000), 6, txn);
        var buffer = new FrameBuffer(256);
        StoreRecords.Encode(buffer, new CommitRecord([request]));

        var read = Assert.IsType<CommitRecord>(StoreRecords.Decode(buffer.WrittenSpan));
        var back = Assert.Single(read.Requests);
        Assert.Equal(request.Nodes.Select(DescribeWrite), back.Nodes.Select(DescribeWrite));
        Assert.Equal(request.CreatedSession!.SessionId, back.CreatedSession!.SessionId);
        Assert.Equal(request.CreatedSession.Password, back.CreatedSession.Password);
        Assert.Equal(request.CreatedSession.TimeoutMs, back.CreatedSession.TimeoutMs);
        Assert.Equal(6, back.ClosedSession);
        Assert.Equal(zxid, back.Pending.Zxid);
        Assert.Equal(txn.Changes.Select(DescribeChange), back.Pending.Changes.Select(DescribeChange));
        Assert.True(back.Pending.Changes[2].WritesData, "null data written stays a write of null");
        // A change read back refers to the system record read with it, so that replay keeps the Stat once.
        Assert.Same(back.Nodes[0].NewState, back.Pending.Changes[0].StatSource);
        Assert.Same(back.Nodes[1].NewState, back.Pending.Changes[1].StatSource);
        Assert.Null(back.Pending.Changes[3].StatSource);

        static string DescribeWrite(SystemNodeWrite w) => $"{w.Path} {w.NewState?.Stat} {string.Join(",", w.NewState?.Acl ?? [])}";
        static string DescribeChange(NodeChange c) => $"{c.Kind} {c.Path} {(c.Kind == NodeChangeKind.Delete ? "" : c.Stat.ToString())} {c.WritesData} {Convert.ToHexString(c.Data ?? [])} {string.Join(",", c.Acl ?? [])}";
    }

    [Fact]
    public void Other_records_round_trip_and_garbage_is_refused()
    {
        var buffer = new FrameBuffer(64);
        StoreRecords.Encode(buffer, new SessionTimeoutRecord(0x1234_5678_9ABC, 30000));
        Assert.Equal(new SessionTimeoutRecord(0x1234_5678_9ABC, 30000), StoreRecords.Decode(buffer.WrittenSpan));
        StoreRecords.Encode(buffer, new EpochRecord(42));
        Assert.Equal(new EpochRecord(42), StoreRecords.Decode(buffer.WrittenSpan));
        Assert.ThrowsAny<Exception>(() => StoreRecords.Decode([9, 0, 0]));
        Assert.ThrowsAny<Exception>(() => StoreRecords.Decode([1, 0, 0, 0, 1]));
    }
}
