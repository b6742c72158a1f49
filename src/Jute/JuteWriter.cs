using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Text;

namespace ZkGateway.Jute;

/// <summary>
/// Writes Jute primitives to an <see cref="IBufferWriter{T}"/>. Null strings, buffers and vectors are
/// written as length -1, as ZooKeeper does.
/// </summary>
public ref struct JuteWriter
{
    private readonly IBufferWriter<byte> _output;

    public JuteWriter(IBufferWriter<byte> output) => _output = output;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WriteInt(int value)
    {
        BinaryPrimitives.WriteInt32BigEndian(_output.GetSpan(4), value);
        _output.Advance(4);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WriteLong(long value)
    {
        BinaryPrimitives.WriteInt64BigEndian(_output.GetSpan(8), value);
        _output.Advance(8);
    }

    /// <summary>Jute's <c>byte</c>.</summary>
    public void WriteByte(byte value)
    {
        _output.GetSpan(1)[0] = value;
        _output.Advance(1);
    }

    public void WriteBool(bool value)
    {
        _output.GetSpan(1)[0] = value ? (byte)1 : (byte)0;
        _output.Advance(1);
    }

    public void WriteBuffer(byte[]? value)
    {
        if (value is null)
        {
            WriteInt(-1);
            return;
        }
        WriteBuffer((ReadOnlySpan<byte>)value);
    }

    public void WriteBuffer(ReadOnlySpan<byte> value)
    {
        WriteInt(value.Length);
        WriteRaw(value);
    }

    public void WriteString(string? value)
    {
        if (value is null)
        {
            WriteInt(-1);
            return;
        }
        int byteCount = Encoding.UTF8.GetByteCount(value);
        WriteInt(byteCount);
        if (byteCount > 0)
        {
            var span = _output.GetSpan(byteCount);
            Encoding.UTF8.GetBytes(value, span);
            _output.Advance(byteCount);
        }
    }

    public void WriteRaw(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty)
        {
            return;
        }
        var span = _output.GetSpan(bytes.Length);
        bytes.CopyTo(span);
        _output.Advance(bytes.Length);
    }
}
