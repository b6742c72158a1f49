using ZkGateway.Backend.Primitives;

namespace ZkGateway.Backend.Tests;

/// <summary>The epoch stamp's stored text form: round trip, per-gateway maximum, malformed text ignored, truncation keeps the newest entries, the interest generation.</summary>
public class EpochStampTests
{
    [Fact]
    public void Encodes_in_gateway_order_keeps_the_highest_zxid_per_gateway_and_parses_back()
    {
        var stamp = EpochStamp.Of([new("gw-b", 0x1_0000_0005), new("gw-a", 7), new("gw-b", 0x1_0000_0003), new("gw-c", 0)]);
        Assert.NotNull(stamp);
        Assert.Equal("gw-a=7;gw-b=100000005", stamp.Encode());
        var parsed = EpochStamp.Parse(stamp.Encode());
        Assert.Equal(0x1_0000_0005, parsed!.For("gw-b"));
        Assert.Equal(7, parsed.For("gw-a"));
        Assert.Equal(0, parsed.For("gw-c"));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("gw-a")]
    [InlineData("gw-a=xyz")]
    [InlineData("=5")]
    public void Nothing_or_malformed_text_is_no_stamp(string? text) => Assert.Null(EpochStamp.Parse(text));

    [Fact]
    public void No_entries_is_no_stamp() => Assert.Null(EpochStamp.Of([]));

    [Fact]
    public void Truncation_keeps_the_entries_with_the_highest_zxids_and_counts()
    {
        var stamp = EpochStamp.Of(Enumerable.Range(1, 100).Select(i => new KeyValuePair<string, long>($"gw-{i:000}", i)))!;
        Assert.Same(stamp, stamp.Truncate(10_000));
        long before = EpochStamp.TruncatedCount;
        var cut = stamp.Truncate(40);
        Assert.True(cut.Encode().Length <= 40);
        Assert.Equal([100L, 99L, 98L, 97L], cut.Entries.Values.OrderDescending());
        Assert.True(EpochStamp.TruncatedCount > before);
    }

    [Fact]
    public void The_generation_and_batch_zxid_come_first_and_parse_back()
    {
        var stamp = EpochStamp.Of([new("gw-b", 0x1_0000_0005)], generation: 0x2a, batchZxid: 0x1_0000_0007)!;
        Assert.Equal("#g=2a;#z=100000007;gw-b=100000005", stamp.Encode());
        var parsed = EpochStamp.Parse(stamp.Encode())!;
        Assert.Equal(0x2aL, parsed.Generation);
        Assert.Equal(0x1_0000_0007, parsed.BatchZxid);
        Assert.Equal(0x1_0000_0005, parsed.For("gw-b"));
        Assert.Equal(["gw-b"], parsed.Entries.Keys);
    }

    [Fact]
    public void A_generation_alone_even_0_is_a_stamp()
    {
        var stamp = EpochStamp.Of([], generation: 0, batchZxid: 0x10)!;
        Assert.Equal("#g=0;#z=10", stamp.Encode());
        var parsed = EpochStamp.Parse("#g=0;#z=10")!;
        Assert.Empty(parsed.Entries);
        Assert.Equal(0L, parsed.Generation);
        Assert.Equal(0x10, parsed.BatchZxid);
    }

    [Fact]
    public void A_stamp_of_an_earlier_version_has_no_generation_and_unknown_fields_are_not_gateways()
    {
        var old = EpochStamp.Parse("gw-a=7")!;
        Assert.Null(old.Generation);
        Assert.Equal(0, old.BatchZxid);
        var later = EpochStamp.Parse("#g=1;#z=9;#q=5;gw-a=7")!;
        Assert.Equal(["gw-a"], later.Entries.Keys);
        Assert.Equal(1L, later.Generation);
    }

    [Fact]
    public void Truncation_keeps_the_generation_and_batch_zxid()
    {
        var stamp = EpochStamp.Of(Enumerable.Range(1, 100).Select(i => new KeyValuePair<string, long>($"gw-{i:000}", i)), generation: 0x77, batchZxid: 0x1234)!;
        var cut = stamp.Truncate(60);
        Assert.True(cut.Encode().Length <= 60, cut.Encode());
        Assert.Equal(0x77L, cut.Generation);
        Assert.Equal(0x1234, cut.BatchZxid);
        Assert.Contains(100L, cut.Entries.Values);
        Assert.Equal(0x77L, EpochStamp.Parse(cut.Encode())!.Generation);
    }
}
