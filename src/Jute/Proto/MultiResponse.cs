using ZkGateway.Jute.Data;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.Jute.Proto;

/// <summary>
/// One result of a multi or multiRead: the header's type and err, and the body (null for delete and
/// check). Use the factories; they pick the type the clients expect (a plain create reports type 1,
/// because go-zk and kazoo decode nothing else for creates).
/// </summary>
public readonly record struct MultiResult(OpCode Type, ErrorCode Err, IJuteRecord? Body)
{
    /// <summary>create (op 1) → type 1 + <see cref="CreateResponse"/>.</summary>
    public static MultiResult Create(string path) => new(OpCode.Create, ErrorCode.Ok, new CreateResponse(path));

    /// <summary>create2, createTTL and createContainer → type 15 + <see cref="Create2Response"/>.</summary>
    public static MultiResult Create2(string path, Stat stat) => new(OpCode.Create2, ErrorCode.Ok, new Create2Response(path, stat));

    public static MultiResult Delete() => new(OpCode.Delete, ErrorCode.Ok, null);

    public static MultiResult Check() => new(OpCode.Check, ErrorCode.Ok, null);

    public static MultiResult SetData(Stat stat) => new(OpCode.SetData, ErrorCode.Ok, new SetDataResponse(stat));

    public static MultiResult GetData(byte[]? data, Stat stat) => new(OpCode.GetData, ErrorCode.Ok, new GetDataResponse(data, stat));

    public static MultiResult GetChildren(IReadOnlyList<string> children) => new(OpCode.GetChildren, ErrorCode.Ok, new GetChildrenResponse(children));

    /// <summary>
    /// A failed op → type -1, header err = code, body <see cref="ErrorResponse"/>{code}. ZooKeeper also
    /// uses this for the ops of a failed multi that did not fail themselves: code 0 before the failing
    /// op (kazoo's RolledBackError), -2 RuntimeInconsistency after it.
    /// </summary>
    public static MultiResult Error(ErrorCode code) => new(OpCode.Error, code, new ErrorResponse(code));
}

/// <summary>
/// The reply body of multi (14) and multiRead (22), ZooKeeper's <c>MultiResponse</c>:
/// <code>
/// repeat: MultiHeader{int type; boolean done = false; int err} + result body
/// end:    MultiHeader{-1, true, -1}
/// </code>
/// The ReplyHeader err of a multi is always 0; per-op codes live here.
/// </summary>
public sealed record MultiResponse(IReadOnlyList<MultiResult> Results) : IJuteRecord, IJuteReadable<MultiResponse>
{
    public void Write(ref JuteWriter writer)
    {
        for (int i = 0; i < Results.Count; i++)
        {
            var result = Results[i];
            new MultiHeader(result.Type, false, result.Err).Write(ref writer);
            result.Body?.Write(ref writer);
        }
        MultiHeader.Terminator.Write(ref writer);
    }

    /// <summary>Client side: decodes results until the done header. An unknown result type is malformed.</summary>
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
            IJuteRecord? body = header.Type switch
            {
                OpCode.Create => CreateResponse.Read(ref reader),
                OpCode.Create2 => Create2Response.Read(ref reader),
                OpCode.Delete or OpCode.Check => null,
                OpCode.SetData => SetDataResponse.Read(ref reader),
                OpCode.GetData => GetDataResponse.Read(ref reader),
                OpCode.GetChildren => GetChildrenResponse.Read(ref reader),
                OpCode.Error => ErrorResponse.Read(ref reader),
                _ => ThrowUnknownResult(header.Type),
            };
            results.Add(new MultiResult(header.Type, header.Err, body));
        }
    }

    private static IJuteRecord ThrowUnknownResult(OpCode type)
    {
        JuteFormatException.ThrowInvalid($"Unknown multi result type {(int)type}.");
        return null!;
    }
}
