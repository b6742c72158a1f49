using ZkGateway.Jute.Protocol;

namespace ZkGateway.Jute.Proto;

/// <summary>
/// One op of a multi or multiRead request: its op code and its request record
/// (<see cref="CreateRequest"/>, <see cref="CreateTTLRequest"/>, <see cref="DeleteRequest"/>,
/// <see cref="SetDataRequest"/>, <see cref="CheckVersionRequest"/>, <see cref="GetChildrenRequest"/>
/// or <see cref="GetDataRequest"/>).
/// </summary>
public readonly record struct MultiOp(OpCode Type, IJuteRecord Record);

/// <summary>
/// The body of multi (14) and multiRead (22), ZooKeeper's <c>MultiOperationRecord</c>:
/// <code>
/// repeat: MultiHeader{int type; boolean done = false; int err = -1} + the op's request record
/// end:    MultiHeader{-1, true, -1}
/// </code>
/// Allowed op types: 1, 15, 21, 19, 2, 5, 13 in multi; 8 and 4 in multiRead. Any other type is
/// malformed. The op count is not sent; each op costs at least a 9-byte header, so the list is
/// bounded by the frame. Like ZooKeeper, reading stops at the first header whose done flag is set;
/// the per-op err sent by clients (-1) is ignored.
/// </summary>
public sealed record MultiRequest(IReadOnlyList<MultiOp> Ops) : IJuteRecord, IJuteReadable<MultiRequest>
{
    /// <summary>Reads a multi (op 14) body.</summary>
    public static MultiRequest Read(ref JuteReader reader) => Read(ref reader, OpCode.Multi);

    /// <summary>Reads a multiRead (op 22) body.</summary>
    public static MultiRequest ReadMultiRead(ref JuteReader reader) => Read(ref reader, OpCode.MultiRead);

    /// <summary>Reads the body of <paramref name="kind"/>, which must be multi or multiRead.</summary>
    public static MultiRequest Read(ref JuteReader reader, OpCode kind)
    {
        if (kind is not (OpCode.Multi or OpCode.MultiRead))
        {
            throw new ArgumentOutOfRangeException(nameof(kind), kind, "Only multi and multiRead carry a MultiRequest.");
        }
        var ops = new List<MultiOp>();
        while (true)
        {
            var header = MultiHeader.Read(ref reader);
            if (header.Done)
            {
                return new MultiRequest(ops);
            }
            ops.Add(new MultiOp(header.Type, ReadOp(ref reader, header.Type, kind)));
        }
    }

    private static IJuteRecord ReadOp(ref JuteReader reader, OpCode type, OpCode kind)
    {
        if (kind == OpCode.Multi)
        {
            switch (type)
            {
                case OpCode.Create:
                case OpCode.Create2:
                case OpCode.CreateContainer:
                    return CreateRequest.Read(ref reader);
                case OpCode.CreateTtl:
                    return CreateTTLRequest.Read(ref reader);
                case OpCode.Delete:
                    return DeleteRequest.Read(ref reader);
                case OpCode.SetData:
                    return SetDataRequest.Read(ref reader);
                case OpCode.Check:
                    return CheckVersionRequest.Read(ref reader);
            }
        }
        else
        {
            switch (type)
            {
                case OpCode.GetChildren:
                    return GetChildrenRequest.Read(ref reader);
                case OpCode.GetData:
                    return GetDataRequest.Read(ref reader);
            }
        }
        JuteFormatException.ThrowInvalid($"Op type {(int)type} is not allowed inside {kind}.");
        return null!;
    }

    public void Write(ref JuteWriter writer)
    {
        for (int i = 0; i < Ops.Count; i++)
        {
            new MultiHeader(Ops[i].Type, false, (ErrorCode)(-1)).Write(ref writer);
            Ops[i].Record.Write(ref writer);
        }
        MultiHeader.Terminator.Write(ref writer);
    }
}
