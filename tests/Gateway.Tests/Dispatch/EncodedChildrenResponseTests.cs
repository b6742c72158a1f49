using System.Buffers;
using ZkGateway.Backend;
using ZkGateway.Gateway.Dispatch;
using ZkGateway.Jute;
using ZkGateway.Jute.Data;
using ZkGateway.Jute.Proto;

namespace ZkGateway.Gateway.Tests.Dispatch;

/// <summary>A large parent's getChildren replies from the names' kept encoding: the same bytes as the records, encoded once.</summary>
public sealed class EncodedChildrenResponseTests
{
    private static readonly Stat ParentStat = new(3, 4, 5, 6, 1, 2000, 0, 0, 9, 2000, 77);

    [Fact]
    public void The_replies_are_byte_for_byte_the_records_and_the_encoding_is_made_once()
    {
        // Non-ASCII names too: the encoding must be ZooKeeper's UTF-8, as the records write it.
        var names = ChildNames.CopyOf(new HashSet<string>(Enumerable.Range(0, 2000).Select(i => i % 7 == 0 ? $"zé-{i}" : $"n{i}"), StringComparer.Ordinal));

        Assert.Equal(Bytes(new GetChildrenResponse(names)), Bytes(EncodedChildrenResponse.For(names, null)));
        byte[]? kept = names.EncodedVector;
        Assert.NotNull(kept);
        Assert.Equal(Bytes(new GetChildren2Response(names, ParentStat)), Bytes(EncodedChildrenResponse.For(names, ParentStat)));
        Assert.Same(kept, names.EncodedVector);
    }

    private static byte[] Bytes(IJuteRecord record)
    {
        var output = new ArrayBufferWriter<byte>();
        var writer = new JuteWriter(output);
        record.Write(ref writer);
        return output.WrittenSpan.ToArray();
    }
}
