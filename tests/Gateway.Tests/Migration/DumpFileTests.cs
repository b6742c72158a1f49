using System.Text;
using ZkGateway.Gateway.Migration;
using ZkGateway.Jute.Data;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.Gateway.Tests.Migration;

/// <summary>The dump format: what goes in comes out, kinds and null data included, and tampering is refused.</summary>
public sealed class DumpFileTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"zkgw-dumptest-{Guid.NewGuid():N}");

    public DumpFileTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static DumpImage Sample() => new("test", 0x1_0000_0005, KindsKnown: true,
    [
        new DumpNode("/", [], Acl.OpenAclUnsafe, new Stat(0, 0, 0, 0, 0, 5, 0, 0, 0, 3, 5), DumpNodeKind.Persistent),
        new DumpNode("/c", Encoding.UTF8.GetBytes("c"), [new Acl(Perms.Read, new Id("ip", "10.0.0.1"))], new Stat(1, 1, 10, 10, 0, 0, 0, 0, 1, 0, 1), DumpNodeKind.Container),
        new DumpNode("/t", null, Acl.ReadAclUnsafe, new Stat(2, 3, 20, 30, 1, 0, 2, 0, 0, 0, 2), DumpNodeKind.Ttl, 3_600_000),
        new DumpNode("/e", [1, 2], Acl.OpenAclUnsafe, new Stat(4, 4, 40, 40, 0, 0, 0, 0x7123, 2, 0, 4), DumpNodeKind.Ephemeral),
    ]);

    [Fact]
    public void A_dump_reads_back_exactly_as_written()
    {
        string path = Path.Combine(_dir, "a.dump");
        var image = Sample();
        DumpFile.Write(path, image);
        var read = DumpFile.Read(path);
        Assert.Equal((image.Source, image.Zxid, image.KindsKnown), (read.Source, read.Zxid, read.KindsKnown));
        Assert.Equal(image.Nodes.Count, read.Nodes.Count);
        foreach (var (want, got) in image.Nodes.Zip(read.Nodes))
        {
            Assert.Equal((want.Path, want.Stat, want.Kind, want.Ttl), (got.Path, got.Stat, got.Kind, got.Ttl));
            Assert.Equal(want.Data is null, got.Data is null);
            Assert.Equal(want.Data ?? [], got.Data ?? []);
            Assert.Equal(want.Acl, got.Acl);
        }
    }

    [Fact]
    public void The_seed_recovers_the_stored_cversion_and_markers_and_drops_ephemerals()
    {
        var (nodes, dropped) = DumpConversions.ToSeed(Sample());
        Assert.Equal([("/e", 0x7123L)], dropped);
        var root = nodes.Single(n => n.Path == "/");
        // Clients saw cversion 5 with 3 children: 4 creations; a child fewer now.
        Assert.Equal((4, 2), (root.Stat.Cversion, root.Stat.NumChildren));
        Assert.Equal(long.MinValue, nodes.Single(n => n.Path == "/c").Stat.EphemeralOwner);
        Assert.Equal(unchecked((long)0xFF00000000000000UL) | 3_600_000, nodes.Single(n => n.Path == "/t").Stat.EphemeralOwner);
        Assert.Equal(0x1_0000_0005, DumpConversions.LastZxid(Sample()));
    }

    [Theory]
    [InlineData("edit")]
    [InlineData("truncate")]
    [InlineData("append")]
    public void A_changed_dump_is_refused(string change)
    {
        string path = Path.Combine(_dir, "b.dump");
        DumpFile.Write(path, Sample());
        string text = File.ReadAllText(path);
        File.WriteAllText(path, change switch
        {
            "edit" => text.Replace("\"mtime\":30,", "\"mtime\":31,", StringComparison.Ordinal),
            "truncate" => text[..text.LastIndexOf("{\"end\"", StringComparison.Ordinal)],
            _ => text + "{}\n",
        });
        var error = Assert.Throws<InvalidDataException>(() => DumpFile.Read(path));
        Assert.Contains(change switch { "edit" => "checksum", "truncate" => "truncated", _ => "after the end" }, error.Message, StringComparison.Ordinal);
    }
}
