using ZkGateway.Jute.Data;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.Jute.Proto;

/// <summary><c>MultiHeader { int type; boolean done; int err; }</c>; the terminator is {-1, true, -1}.</summary>
public readonly record struct MultiHeader(int Type, bool Done, int Err) : IJuteRecord, IJuteReadable<MultiHeader>
{
    public static readonly MultiHeader Terminator = new(-1, true, -1);

    public static MultiHeader Read(ref JuteReader reader) => new(reader.ReadInt(), reader.ReadBool(), reader.ReadInt());

    public void Write(ref JuteWriter writer)
    {
        writer.WriteInt(Type);
        writer.WriteBool(Done);
        writer.WriteInt(Err);
    }
}

/// <summary>One op of a multi or multiRead request: its type and decoded record.</summary>
public readonly record struct MultiOp(OpCode Type, IJuteRecord Record);

/// <summary>
/// <c>MultiOperationRecord</c> (op 14) and multiRead (op 22): repeated MultiHeader + op record until the
/// terminator. multi allows create/create2/createTTL/createContainer/delete/setData/check; multiRead
/// allows getChildren/getData. Anything else is malformed.
/// </summary>
public sealed record MultiRequest(IReadOnlyList<MultiOp> Ops) : IJuteRecord
{
    public static MultiRequest Read(ref JuteReader reader, bool readOnly)
    {
        var ops = new List<MultiOp>();
        while (true)
        {
            var header = MultiHeader.Read(ref reader);
            if (header.Done)
            {
                return new MultiRequest(ops);
            }
            var type = (OpCode)header.Type;
            IJuteRecord record = (type, readOnly) switch
            {
                (OpCode.Create or OpCode.Create2 or OpCode.CreateContainer, false) => CreateRequest.Read(ref reader),
                (OpCode.CreateTtl, false) => CreateTtlRequest.Read(ref reader),
                (OpCode.Delete or OpCode.Check, false) => PathVersionRequest.Read(ref reader),
                (OpCode.SetData, false) => SetDataRequest.Read(ref reader),
                (OpCode.GetChildren or OpCode.GetData, true) => PathWatchRequest.Read(ref reader),
                _ => throw new JuteFormatException($"Op type {header.Type} is not allowed in a {(readOnly ? "multiRead" : "multi")}."),
            };
            ops.Add(new MultiOp(type, record));
        }
    }

    public void Write(ref JuteWriter writer)
    {
        foreach (var op in Ops)
        {
            new MultiHeader((int)op.Type, false, -1).Write(ref writer);
            op.Record.Write(ref writer);
        }
        MultiHeader.Terminator.Write(ref writer);
    }
}

/// <summary>One result of a multi: the result type (mirroring the op; -1 on error), the code, and the body if any.</summary>
public readonly record struct MultiResult(int Type, int Err, IJuteRecord? Body);

/// <summary>
/// <c>MultiResponse</c>: per op a MultiHeader{type, false, err} + body, then the terminator.
/// Bodies: create → CreateResponse (type 1); create2/TTL/container → Create2Response (type 15);
/// delete and check → none; setData → SetDataResponse; getData/getChildren → their responses;
/// error → type -1 with ErrorResponse{err}.
/// </summary>
public sealed record MultiResponse(IReadOnlyList<MultiResult> Results) : IJuteRecord
{
    public void Write(ref JuteWriter writer)
    {
        foreach (var result in Results)
        {
            new MultiHeader(result.Type, false, result.Err).Write(ref writer);
            result.Body?.Write(ref writer);
        }
        MultiHeader.Terminator.Write(ref writer);
    }

    public static MultiResponse Read(ref JuteReader reader)
    {
        var results = new List<MultiResult>();
        while (true)
        {
            var header = MultiHeader.Read(ref reader);
            if (header.Done)
            {
                return new MultiResponse(results);
            }
            IJuteRecord? body = (OpCode)header.Type switch
            {
                OpCode.Create => CreateResponse.Read(ref reader),
                OpCode.Create2 => Create2Response.Read(ref reader),
                OpCode.SetData => StatResponse.Read(ref reader),
                OpCode.GetData => GetDataResponse.Read(ref reader),
                OpCode.GetChildren => GetChildrenResponse.Read(ref reader),
                OpCode.Error => ErrorResponse.Read(ref reader),
                _ => null,
            };
            results.Add(new MultiResult(header.Type, header.Err, body));
        }
    }
}
