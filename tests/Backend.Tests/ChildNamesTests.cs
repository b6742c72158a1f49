namespace ZkGateway.Backend.Tests;

/// <summary>getChildren's copy of a node's children: every name, in the set's order, and no large object however many.</summary>
public sealed class ChildNamesTests
{
    // The runtime puts an object of 85,000 bytes or more on the large-object heap.
    private const int LargeObjectBytes = 85_000;

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(8_192)]
    [InlineData(8_193)]
    [InlineData(100_000)]
    public void The_copy_holds_every_name_in_order(int count)
    {
        var children = new HashSet<string>(Enumerable.Range(0, count).Select(i => "n" + i), StringComparer.Ordinal);
        var names = ChildNames.CopyOf(children);

        // The set's own order, as the copy is made (ZooKeeper answers a HashSet's order too).
        string[] inOrder = [.. children];
        Assert.Equal(inOrder.Length, names.Count);
        Assert.Equal(inOrder, names);
        Assert.Equal(inOrder, Enumerable.Range(0, names.Count).Select(i => names[i]));
        Assert.Throws<ArgumentOutOfRangeException>(() => names[count]);
    }

    [Fact]
    public void A_hundred_thousand_names_are_copied_into_no_large_object()
    {
        var children = new HashSet<string>(Enumerable.Range(0, 100_000).Select(i => "n" + i), StringComparer.Ordinal);
        var names = ChildNames.CopyOf(children);

        Assert.All(names.Chunks, chunk => Assert.True(chunk.Length * IntPtr.Size < LargeObjectBytes, $"a chunk of {chunk.Length} references"));
        Assert.True(names.Chunks.Count * IntPtr.Size < LargeObjectBytes);
    }
}
