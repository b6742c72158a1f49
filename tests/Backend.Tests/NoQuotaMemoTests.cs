using ZkGateway.Backend.Primitives;
using ZkGateway.Backend.Quotas;
using ZkGateway.Jute.Data;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.Backend.Tests;

/// <summary>When the distributor may skip the read of /zookeeper/quota: only for a batch that follows on, with no gap, from one that found no quota.</summary>
public sealed class NoQuotaMemoTests
{
    private static Txn Write(long zxid) =>
        new(zxid, 0, 1, null, new WriteResult(ErrorCode.Ok, zxid), [NodeChange.PutWithData("/a", default(Stat), [1])], []);

    /// <summary>A failed write or a sync: on the queue with its zxid (a sync's is the current one), no change.</summary>
    private static Txn NoChange(long zxid) => new(zxid, 0, 1, null, new WriteResult(ErrorCode.NoNode, zxid), [], []);

    [Fact]
    public void Nothing_is_known_before_a_batch_found_no_quota()
    {
        var memo = new NoQuotaMemo();
        Assert.False(memo.Covers([Write(1)]));
        memo.Record([Write(1)], noQuota: false);
        Assert.False(memo.Covers([Write(2)]));
    }

    [Fact]
    public void A_batch_that_follows_on_is_covered_and_a_sync_between_does_not_matter()
    {
        var memo = new NoQuotaMemo();
        memo.Record([Write(5), NoChange(5), Write(6)], noQuota: true);
        Assert.True(memo.Covers([NoChange(6), Write(7), Write(8)]));
        memo.Record([NoChange(6), Write(7), Write(8)], noQuota: true);
        Assert.True(memo.Covers([Write(9)]));
    }

    [Fact]
    public void A_gap_before_or_inside_a_batch_is_someone_elses_transaction_and_costs_the_read()
    {
        var memo = new NoQuotaMemo();
        memo.Record([Write(5)], noQuota: true);
        Assert.False(memo.Covers([Write(7)]));

        memo.Record([Write(7), Write(9)], noQuota: true);
        Assert.False(memo.Covers([Write(10)]));
    }

    [Fact]
    public void What_is_known_is_used_once_and_forgotten_until_recorded_again()
    {
        var memo = new NoQuotaMemo();
        memo.Record([Write(5)], noQuota: true);
        Assert.True(memo.Covers([Write(6)]));
        // The batch failed to apply (no Record): its redelivery reads again.
        Assert.False(memo.Covers([Write(6)]));

        memo.Record([Write(6)], noQuota: true);
        Assert.True(memo.Covers([Write(7)]));
        memo.Record([Write(7)], noQuota: false);
        Assert.False(memo.Covers([Write(8)]));

        // A batch without state changes tells nothing about the zxids before the next one.
        memo.Record([Write(8)], noQuota: true);
        memo.Record([NoChange(9)], noQuota: true);
        Assert.False(memo.Covers([Write(10)]));
    }
}
