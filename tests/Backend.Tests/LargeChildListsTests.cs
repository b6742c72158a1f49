using ZkGateway.Backend.Gateway;
using ZkGateway.Backend.Primitives;
using ZkGateway.Jute.Data;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.Backend.Tests;

/// <summary>
/// getChildren of a large parent keeps its names between calls while they do not change: the same
/// list (and so the same encoding) for a repeat call, a new one after any child is created or deleted
/// or the parent re-created, and always the names as they are now.
/// </summary>
public sealed class LargeChildListsTests : EmbeddedSessionTests
{
    private const int Children = LargeChildLists.MinChildren + 10;

    [Fact]
    public async Task A_repeat_call_on_an_unchanged_large_parent_gets_the_kept_list_and_any_change_makes_a_new_one()
    {
        await CreateParentAsync("/big", "a");
        var first = await NamesAsync("/big");
        Assert.False(first.IsReused);
        Assert.Same(first, await NamesAsync("/big"));
        Assert.True(first.IsReused);

        // A change of the parent's data moves neither cversion nor pzxid: still the same list, and getChildren2's Stat is the new one.
        Assert.Equal(ErrorCode.Ok, (await B.SubmitAsync(Session, new SetDataOperation("/big", [7], -1))).Result!.Error);
        var afterSet = await B.GetChildrenAsync("/big", null);
        Assert.Same(first, afterSet.Value!.Children);
        Assert.Equal(1, afterSet.Value.Stat.Version);

        await CreateAsync("/big/new");
        var afterCreate = await NamesAsync("/big");
        Assert.NotSame(first, afterCreate);
        Assert.False(afterCreate.IsReused);
        Assert.Contains("new", afterCreate);
        Assert.Equal(Children + 1, afterCreate.Count);

        Assert.Equal(ErrorCode.Ok, (await B.SubmitAsync(Session, new DeleteOperation("/big/a0", -1))).Result!.Error);
        var afterDelete = await NamesAsync("/big");
        Assert.DoesNotContain("a0", afterDelete);
        Assert.Equal(Children, afterDelete.Count);
    }

    [Fact]
    public async Task A_parent_deleted_and_made_again_with_as_many_children_is_not_answered_the_old_names()
    {
        await CreateParentAsync("/big", "a");
        var old = await NamesAsync("/big");
        Assert.Same(old, await NamesAsync("/big"));
        var delete = Enumerable.Range(0, Children).Select(i => (WriteOperation)new DeleteOperation($"/big/a{i}", -1)).Append(new DeleteOperation("/big", -1));
        Assert.All((await B.SubmitAsync(Session, new MultiOperation([.. delete]))).MultiResults!, r => Assert.Equal(ErrorCode.Ok, r.Error));

        await CreateParentAsync("/big", "b");
        var names = await NamesAsync("/big");
        Assert.Equal(Enumerable.Range(0, Children).Select(i => $"b{i}").Order(StringComparer.Ordinal), names.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_small_parent_is_copied_at_each_call()
    {
        await CreateAsync("/small");
        await CreateAsync("/small/x");
        var first = await NamesAsync("/small");
        Assert.NotSame(first, await NamesAsync("/small"));
        Assert.False(first.IsReused);
    }

    [Fact]
    public void Past_the_budget_everything_kept_is_dropped()
    {
        var lists = new LargeChildLists(budgetNames: 3 * Children);
        for (int p = 0; p < 3; p++)
        {
            lists.Get(Parent($"/p{p}", czxid: p + 1));
        }
        Assert.Equal(3 * Children, lists.KeptNames);
        Assert.True(lists.Get(Parent("/p0", czxid: 1)).IsReused);
        lists.Get(Parent("/p3", czxid: 4));
        Assert.Equal(Children, lists.KeptNames);
        Assert.False(lists.Get(Parent("/p0", czxid: 1)).IsReused);   // dropped with the rest: a new copy
    }

    private static UserNode Parent(string path, long czxid) =>
        new(path, null, new Stat(czxid, czxid, 0, 0, 0, Children, 0, 0, 0, Children, czxid), Acl.OpenAclUnsafe,
            new HashSet<string>(Enumerable.Range(0, Children).Select(i => "c" + i), StringComparer.Ordinal));

    private async Task<ChildNames> NamesAsync(string path)
    {
        var r = await B.GetChildrenAsync(path, null);
        Assert.Equal(ErrorCode.Ok, r.Error);
        return Assert.IsType<ChildNames>(r.Value!.Children);
    }

    private async Task CreateParentAsync(string path, string prefix)
    {
        var ops = Enumerable.Range(0, Children).Select(i => (WriteOperation)new CreateOperation($"{path}/{prefix}{i}", [], Acl.OpenAclUnsafe, CreateMode.Persistent));
        var made = await B.SubmitAsync(Session, new MultiOperation([new CreateOperation(path, [], Acl.OpenAclUnsafe, CreateMode.Persistent), .. ops]));
        Assert.All(made.MultiResults!, r => Assert.Equal(ErrorCode.Ok, r.Error));
    }

    private async Task CreateAsync(string path) =>
        Assert.Equal(ErrorCode.Ok, (await B.SubmitAsync(Session, new CreateOperation(path, [], Acl.OpenAclUnsafe, CreateMode.Persistent))).Result!.Error);
}
