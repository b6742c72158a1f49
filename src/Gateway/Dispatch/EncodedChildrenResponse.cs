using System.Buffers;
using ZkGateway.Backend;
using ZkGateway.Jute;
using ZkGateway.Jute.Data;
using ZkGateway.Jute.Proto;

namespace ZkGateway.Gateway.Dispatch;

/// <summary>
/// GetChildrenResponse / GetChildren2Response of a large parent whose names the backend handed out
/// again unchanged (<see cref="ChildNames.IsReused"/>): the names' vector is encoded once and kept
/// with them, so every later reply copies bytes. The bytes are those of the two records.
/// </summary>
internal sealed class EncodedChildrenResponse(byte[] vector, Stat? stat) : IJuteRecord
{
    /// <summary>The reply for <paramref name="names"/>; the Stat only for getChildren2.</summary>
    public static EncodedChildrenResponse For(ChildNames names, Stat? stat) => new(names.EncodedVector ??= Encode(names), stat);

    public void Write(ref JuteWriter writer)
    {
        writer.WriteRaw(vector);
        stat?.Write(ref writer);
    }

    private static byte[] Encode(ChildNames names)
    {
        // 16 bytes a name (4 of length, the name in UTF-8): room for most lists without regrowing.
        var output = new ArrayBufferWriter<byte>(4 + (names.Count * 16));
        var writer = new JuteWriter(output);
        JuteLists.WriteStringList(ref writer, names);
        return output.WrittenSpan.ToArray();
    }
}
