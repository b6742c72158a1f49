using ZkGateway.Backend;
using ZkGateway.Jute.Data;
using ZkGateway.Jute.Proto;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.Gateway.Dispatch;

/// <summary>
/// Wire requests to backend operations, and multi outcomes to result records, with the choices
/// ZooKeeper 3.8.0 makes (each checked by running it; docs/compatibility.md): which node kind an
/// opcode and its flags create, which mistakes are BadArguments and which MarshallingError, and
/// which result type a create inside a multi gets.
/// </summary>
internal static class OperationMapping
{
    /// <summary>
    /// A top-level create, as ZooKeeper 3.8.0 treats it (checked by running it): the node kind follows
    /// the opcode. createContainer (19) makes a container whatever its non-TTL flags (2 and 3 still add
    /// the sequential suffix); create/create2 with flags 4 make a plain persistent node; createTTL (21)
    /// with a non-TTL mode is BadArguments (3.8.0 itself crashes on one with a negative ttl, see
    /// docs/compatibility.md). Invalid flags are BadArguments. Every refusal goes through the write path,
    /// where ZooKeeper refuses it too, so it consumes a zxid.
    /// </summary>
    public static WriteOperation ToTopLevelCreate(OpCode op, string? path, byte[]? data, IReadOnlyList<Acl>? acl, CreateMode mode, long ttl)
    {
        if (!mode.IsValid() || (op == OpCode.CreateTtl && !mode.IsTtl()))
        {
            return new InvalidOperation(ErrorCode.BadArguments);
        }
        if (path is null && !mode.IsTtl())
        {
            // 3.8.0's PrepRequestProcessor takes the parent of a null path after the flags: a
            // NullPointerException, answered MarshallingError through the write path.
            return new InvalidOperation(ErrorCode.MarshallingError);
        }
        if (path is null)
        {
            // createTTL of null: the writer checks extended types and the ttl, then fails on the path.
            return new NullPathTtlCreateOperation(mode, op == OpCode.CreateTtl ? ttl : -1);
        }
        if (mode.IsTtl())
        {
            // The writer checks extended types (Unimplemented) before the ttl (BadArguments: op 1, 15 and 19 carry none).
            return new CreateOperation(path, data, acl ?? [], mode, op == OpCode.CreateTtl ? ttl : -1);
        }
        return op == OpCode.CreateContainer
            ? new CreateOperation(path ?? "", data, acl ?? [], mode, AsContainer: true)
            : new CreateOperation(path ?? "", data, acl ?? [], mode == CreateMode.Container ? CreateMode.Persistent : mode);
    }

    /// <summary>
    /// A create inside a multi. 3.8.0 rebuilds each op from its flags (Op.create), so there the kind
    /// follows the flags, not the opcode: flags 4 make a container under op 1, 15 or 19; op 19 with
    /// flags 0 makes a persistent node; op 21 with a non-TTL mode makes a node of that mode and ignores
    /// its ttl. TTL flags under op 1, 15 or 19 are a MarshallingError: 3.8.0 cannot process such a multi
    /// at all and answers it with a bare MarshallingError header (a zxid consumed).
    /// </summary>
    public static WriteOperation ToMultiCreate(OpCode op, string? path, byte[]? data, IReadOnlyList<Acl>? acl, CreateMode mode, long ttl)
    {
        if (!mode.IsValid())
        {
            return new InvalidOperation(ErrorCode.BadArguments);
        }
        if (mode.IsTtl() && op != OpCode.CreateTtl)
        {
            return new InvalidOperation(ErrorCode.MarshallingError);
        }
        return new CreateOperation(path ?? "", data, acl ?? [], mode, mode.IsTtl() ? ttl : -1);
    }

    /// <summary>One op of a multi; null for a record a multi cannot carry (the caller answers BadArguments).</summary>
    public static WriteOperation? ToWriteOperation(MultiOp op) => op.Record switch
    {
        CreateRequest c => ToMultiCreate(op.Type, c.Path, c.Data, c.Acl, c.Flags, -1),
        CreateTTLRequest t => ToMultiCreate(op.Type, t.Path, t.Data, t.Acl, t.Flags, t.Ttl),
        DeleteRequest d => new DeleteOperation(d.Path ?? "", d.Version),
        CheckVersionRequest c => new CheckOperation(c.Path ?? "", c.Version),
        SetDataRequest s => new SetDataOperation(s.Path ?? "", s.Data, s.Version),
        _ => null,
    };

    /// <summary>
    /// A create or delete of a null path inside a multi: 3.8.0 fails taking its parent (a
    /// NullPointerException), which fails the whole multi, not just that op.
    /// </summary>
    public static bool TakesParentOfNullPath(MultiOp op) =>
        op.Record is CreateRequest { Path: null } or CreateTTLRequest { Path: null } or DeleteRequest { Path: null };

    /// <summary>A delete of a null path fails in 3.8.0 on taking its parent (a NullPointerException): MarshallingError.</summary>
    public static WriteOperation ToDelete(DeleteRequest request) =>
        request.Path is null ? new InvalidOperation(ErrorCode.MarshallingError) : new DeleteOperation(request.Path, request.Version);

    /// <summary>
    /// The result of one op of a successful multi. ZooKeeper 3.8 picks a create's result type from its
    /// mode, not its opcode: containers and TTL nodes come back as create2 (with the Stat), everything
    /// else as a plain create (path only), even for an op-15 create2 (checked against 3.8.0). kazoo and
    /// go-zk parse only type 1.
    /// </summary>
    public static MultiResult ToMultiResult(OpCode type, WriteOperation operation, OpResult outcome) => type switch
    {
        OpCode.Create or OpCode.Create2 or OpCode.CreateContainer or OpCode.CreateTtl when IsContainerOrTtl(operation) => MultiResult.Create2(outcome.Path!, outcome.Stat!.Value),
        OpCode.Create or OpCode.Create2 or OpCode.CreateContainer or OpCode.CreateTtl => MultiResult.Create(outcome.Path!),
        OpCode.SetData => MultiResult.SetData(outcome.Stat!.Value),
        OpCode.Delete => MultiResult.Delete(),
        _ => MultiResult.Check(),
    };

    /// <summary>setWatches (101) as the setWatches2 (105) it is a subset of: no persistent watches.</summary>
    public static SetWatches2 ToSetWatches2(SetWatches request) =>
        new(request.RelativeZxid, request.DataWatches, request.ExistWatches, request.ChildWatches, null, null);

    private static bool IsContainerOrTtl(WriteOperation operation) =>
        operation is CreateOperation { IsContainer: true } or CreateOperation { Mode: CreateMode.PersistentWithTtl or CreateMode.PersistentSequentialWithTtl };
}
