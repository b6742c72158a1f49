using ZkGateway.Backend;
using ZkGateway.Gateway.Dispatch;
using ZkGateway.Jute.Data;
using ZkGateway.Jute.Proto;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.Gateway.Tests.Dispatch;

/// <summary>Which backend operation a create or multi op becomes, with ZooKeeper 3.8.0's choices (docs/compatibility.md).</summary>
public sealed class OperationMappingTests
{
    private static readonly Stat SomeStat = new(1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1);

    private static WriteOperation TopLevel(OpCode op, CreateMode mode, long ttl = -1) =>
        OperationMapping.ToTopLevelCreate(op, "/n", [], Acl.OpenAclUnsafe, mode, ttl);

    private static WriteOperation InMulti(OpCode op, CreateMode mode, long ttl = -1) =>
        OperationMapping.ToMultiCreate(op, "/n", [], Acl.OpenAclUnsafe, mode, ttl);

    [Theory]
    [InlineData(CreateMode.Persistent)]
    [InlineData(CreateMode.Ephemeral)]
    [InlineData(CreateMode.PersistentSequential)]
    [InlineData(CreateMode.EphemeralSequential)]
    [InlineData(CreateMode.Container)]
    public void A_top_level_createContainer_makes_a_container_whatever_its_non_ttl_flags(CreateMode mode)
    {
        var create = Assert.IsType<CreateOperation>(TopLevel(OpCode.CreateContainer, mode));
        Assert.True(create.IsContainer);
        Assert.Equal(mode, create.Mode); // the sequential flags still add the suffix
    }

    [Theory]
    [InlineData(OpCode.Create)]
    [InlineData(OpCode.Create2)]
    public void A_top_level_create_with_container_flags_makes_a_plain_persistent_node(OpCode op)
    {
        var create = Assert.IsType<CreateOperation>(TopLevel(op, CreateMode.Container));
        Assert.False(create.IsContainer);
        Assert.Equal(CreateMode.Persistent, create.Mode);
    }

    [Theory]
    [InlineData(OpCode.CreateTtl, CreateMode.Persistent)]
    [InlineData(OpCode.CreateTtl, CreateMode.Container)]
    [InlineData(OpCode.Create, (CreateMode)7)]
    [InlineData(OpCode.CreateContainer, (CreateMode)(-1))]
    public void CreateTtl_with_a_non_ttl_mode_and_any_invalid_flags_are_BadArguments(OpCode op, CreateMode mode) =>
        Assert.Equal(new InvalidOperation(ErrorCode.BadArguments), TopLevel(op, mode, ttl: 1000));

    [Theory]
    [InlineData(OpCode.CreateTtl, 1000L)]
    [InlineData(OpCode.Create, -1L)]
    [InlineData(OpCode.Create2, -1L)]
    [InlineData(OpCode.CreateContainer, -1L)]
    public void A_top_level_ttl_mode_carries_its_ttl_only_under_createTtl(OpCode op, long expectedTtl)
    {
        // Without a ttl the writer answers BadArguments, after its extended-types check.
        var create = Assert.IsType<CreateOperation>(TopLevel(op, CreateMode.PersistentWithTtl, ttl: 1000));
        Assert.Equal((CreateMode.PersistentWithTtl, expectedTtl), (create.Mode, create.Ttl));
    }

    [Fact]
    public void A_top_level_createTtl_of_a_null_path_keeps_its_mode_and_ttl_for_the_writers_checks()
    {
        // 3.8.0: extended types, then the ttl, then MarshallingError on the null path (the writer's order).
        var create = OperationMapping.ToTopLevelCreate(OpCode.CreateTtl, null, [], Acl.OpenAclUnsafe, CreateMode.PersistentWithTtl, 1000);
        Assert.Equal(new NullPathTtlCreateOperation(CreateMode.PersistentWithTtl, 1000), create);
    }

    [Theory]
    [InlineData(OpCode.Create)]
    [InlineData(OpCode.Create2)]
    [InlineData(OpCode.CreateContainer)]
    public void Inside_a_multi_container_flags_make_a_container_under_any_create_opcode(OpCode op) =>
        Assert.True(Assert.IsType<CreateOperation>(InMulti(op, CreateMode.Container)).IsContainer);

    [Fact]
    public void Inside_a_multi_createContainer_with_flags_zero_makes_a_persistent_node() =>
        Assert.False(Assert.IsType<CreateOperation>(InMulti(OpCode.CreateContainer, CreateMode.Persistent)).IsContainer);

    [Fact]
    public void Inside_a_multi_createTtl_with_a_non_ttl_mode_makes_that_mode_and_drops_the_ttl()
    {
        var create = Assert.IsType<CreateOperation>(InMulti(OpCode.CreateTtl, CreateMode.Ephemeral, ttl: 1000));
        Assert.Equal((CreateMode.Ephemeral, -1L), (create.Mode, create.Ttl));
    }

    [Theory]
    [InlineData(OpCode.Create)]
    [InlineData(OpCode.Create2)]
    [InlineData(OpCode.CreateContainer)]
    public void Inside_a_multi_ttl_flags_under_a_create_without_a_ttl_are_MarshallingError(OpCode op) =>
        Assert.Equal(new InvalidOperation(ErrorCode.MarshallingError), InMulti(op, CreateMode.PersistentSequentialWithTtl));

    [Fact]
    public void Inside_a_multi_invalid_flags_are_BadArguments() =>
        Assert.Equal(new InvalidOperation(ErrorCode.BadArguments), InMulti(OpCode.Create, (CreateMode)9));

    [Fact]
    public void A_record_a_multi_cannot_carry_maps_to_nothing() =>
        Assert.Null(OperationMapping.ToWriteOperation(new MultiOp(OpCode.GetData, new GetDataRequest("/n", false))));

    [Fact]
    public void Delete_check_and_setData_inside_a_multi_keep_their_path_and_version()
    {
        Assert.Equal(new DeleteOperation("/d", 3), OperationMapping.ToWriteOperation(new MultiOp(OpCode.Delete, new DeleteRequest("/d", 3))));
        Assert.Equal(new CheckOperation("/c", 4), OperationMapping.ToWriteOperation(new MultiOp(OpCode.Check, new CheckVersionRequest("/c", 4))));
        var set = Assert.IsType<SetDataOperation>(OperationMapping.ToWriteOperation(new MultiOp(OpCode.SetData, new SetDataRequest("/s", [7], 5))));
        Assert.Equal(("/s", 5), (set.Path, set.Version));
    }

    [Theory]
    [InlineData(OpCode.Create2, CreateMode.Persistent, OpCode.Create)]
    [InlineData(OpCode.Create, CreateMode.Container, OpCode.Create2)]
    [InlineData(OpCode.CreateTtl, CreateMode.PersistentWithTtl, OpCode.Create2)]
    [InlineData(OpCode.CreateContainer, CreateMode.Persistent, OpCode.Create)]
    public void A_create_inside_a_multi_reports_create2_for_containers_and_ttl_nodes_and_create_otherwise(OpCode op, CreateMode mode, OpCode resultType)
    {
        var result = OperationMapping.ToMultiResult(op, InMulti(op, mode, ttl: 1000), new OpResult(ErrorCode.Ok, "/n", SomeStat));
        Assert.Equal(resultType, result.Type);
    }

    [Fact]
    public void SetWatches_becomes_a_setWatches2_with_no_persistent_watches()
    {
        var converted = OperationMapping.ToSetWatches2(new SetWatches(7, ["/d"], ["/e"], ["/c"]));
        Assert.Equal(7, converted.RelativeZxid);
        Assert.Equal(["/d"], converted.DataWatches!);
        Assert.Equal(["/e"], converted.ExistWatches!);
        Assert.Equal(["/c"], converted.ChildWatches!);
        Assert.Null(converted.PersistentWatches);
        Assert.Null(converted.PersistentRecursiveWatches);
    }
}
