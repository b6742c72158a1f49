using System.Buffers.Binary;
using System.Text;

namespace ZkGateway.ProtocolFuzz;

/// <summary>
/// Byte-level mutations of a valid session (issue 15's list): bit flips, byte insertions and deletions,
/// 32-bit length and count fields set to −2, −1, 0, boundaries and beyond jute.maxbuffer, truncation,
/// splits across writes, writes merged (pipelining into the handshake), garbage before the handshake,
/// invalid UTF-8 in strings and four-letter words with trailing bytes. Deterministic for a seed.
/// </summary>
public sealed class ByteMutator(int seed)
{
    private readonly Random _random = new(seed);

    /// <summary>Values a length or count field is set to: the edges ZooKeeper's readers check, and past jute.maxbuffer (0xfffff).</summary>
    private static readonly int[] Interesting =
        [-2, -1, 0, 1, 2, 3, 4, 7, 8, 15, 16, 17, 44, 45, 127, 128, 255, 256, 0x7fff, 0xffff, 0xfffff, 0x100000, 0x100001, int.MaxValue, int.MinValue];

    private static readonly string[] Words = ["ruok", "isro", "stat", "srvr", "mntr", "conf", "envi", "cons", "wchs", "dirs", "hash", "stmk", "gtmk", "dump"];

    /// <summary>One to three mutations of <paramref name="input"/>, and a label saying which.</summary>
    public (WireInput Input, string What) Mutate(WireInput input)
    {
        var writes = input.Writes.Select(w => w with { Bytes = (byte[])w.Bytes.Clone() }).ToList();
        var what = new List<string>();
        int n = 1 + _random.Next(3);
        for (int i = 0; i < n; i++)
        {
            what.Add(MutateOnce(writes));
        }
        writes.RemoveAll(w => w.Bytes.Length == 0);
        if (writes.Count == 0)
        {
            writes.Add(new WireWrite([0, 0, 0, 0], false));
        }
        return (new WireInput(writes), string.Join(", ", what));
    }

    private string MutateOnce(List<WireWrite> writes)
    {
        int k = _random.Next(writes.Count);
        byte[] bytes = writes[k].Bytes;
        int kind = _random.Next(12);
        if (bytes.Length == 0)
        {
            kind = 3;
        }
        switch (kind)
        {
            case 0:
            {
                int at = _random.Next(bytes.Length);
                bytes[at] ^= (byte)(1 << _random.Next(8));
                return $"flip w{k}@{at}";
            }
            case 1:
            {
                int at = _random.Next(bytes.Length);
                bytes[at] = (byte)_random.Next(256);
                return $"set w{k}@{at}";
            }
            case 2 or 3:
            {
                int at = _random.Next(bytes.Length + 1);
                int count = 1 + _random.Next(4);
                var extra = new byte[count];
                _random.NextBytes(extra);
                writes[k] = writes[k] with { Bytes = [.. bytes[..at], .. extra, .. bytes[at..]] };
                return $"insert {count} w{k}@{at}";
            }
            case 4:
            {
                int at = _random.Next(bytes.Length);
                int count = Math.Min(1 + _random.Next(4), bytes.Length - at);
                writes[k] = writes[k] with { Bytes = [.. bytes[..at], .. bytes[(at + count)..]] };
                return $"delete {count} w{k}@{at}";
            }
            case 5 or 6:
            {
                // A 32-bit field at a 4-byte-aligned offset of some frame: the frame length, xid, op, a string or vector length.
                if (bytes.Length < 4)
                {
                    goto case 0;
                }
                int at = FieldOffset(bytes);
                int value = Interesting[_random.Next(Interesting.Length)];
                BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(at), value);
                return $"int w{k}@{at}={value}";
            }
            case 7:
            {
                int at = _random.Next(bytes.Length);
                writes[k] = writes[k] with { Bytes = bytes[..at] };
                return $"truncate w{k}@{at}";
            }
            case 8:
            {
                if (bytes.Length < 2)
                {
                    goto case 0;
                }
                int at = 1 + _random.Next(bytes.Length - 1);
                writes[k] = writes[k] with { Bytes = bytes[..at] };
                writes.Insert(k + 1, new WireWrite(bytes[at..], false));
                return $"split w{k}@{at}";
            }
            case 9:
            {
                if (k + 1 >= writes.Count)
                {
                    goto case 0;
                }
                writes[k] = writes[k] with { Bytes = [.. bytes, .. writes[k + 1].Bytes] };
                writes.RemoveAt(k + 1);
                return $"merge w{k}+w{k + 1}";
            }
            case 10:
            {
                // Invalid UTF-8 (a lone surrogate, an overlong form, a stray continuation byte) where a path byte was.
                int slash = Array.LastIndexOf(bytes, (byte)'/');
                if (slash < 0)
                {
                    goto case 1;
                }
                byte[][] bad = [[0xed, 0xa0, 0x80], [0xc0, 0xaf], [0x80], [0xff], [0xe2, 0x82]];
                byte[] pick = bad[_random.Next(bad.Length)];
                int at = Math.Min(slash + 1, bytes.Length - 1);
                int len = Math.Min(pick.Length, bytes.Length - at);
                pick.AsSpan(0, len).CopyTo(bytes.AsSpan(at));
                return $"utf8 w{k}@{at}={Convert.ToHexString(pick)}";
            }
            default:
            {
                // Before the handshake: garbage, or a four-letter word with trailing bytes.
                byte[] prefix = _random.Next(2) == 0
                    ? [.. Encoding.ASCII.GetBytes(Words[_random.Next(Words.Length)]), .. RandomBytes(_random.Next(6))]
                    : RandomBytes(1 + _random.Next(8));
                writes[0] = writes[0] with { Bytes = [.. prefix, .. writes[0].Bytes] };
                return $"prefix {Convert.ToHexString(prefix)}";
            }
        }
    }

    private byte[] RandomBytes(int count)
    {
        var b = new byte[count];
        _random.NextBytes(b);
        return b;
    }

    /// <summary>
    /// An offset of a 32-bit field: walks the write's frames (length-prefixed) and picks a frame start, or a
    /// 4-byte-aligned offset inside one (headers and most counts sit there), or any offset.
    /// </summary>
    private int FieldOffset(byte[] bytes)
    {
        var starts = new List<int>();
        for (int at = 0; at + 4 <= bytes.Length;)
        {
            starts.Add(at);
            int len = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(at));
            if (len < 0 || at + 4L + len > bytes.Length)
            {
                break;
            }
            at += 4 + len;
        }
        int start = starts[_random.Next(starts.Count)];
        int choice = _random.Next(3);
        int offset = choice switch
        {
            0 => start,
            1 => start + 4 * _random.Next(Math.Max(1, (bytes.Length - start) / 4)),
            _ => _random.Next(bytes.Length - 3),
        };
        return Math.Min(offset, bytes.Length - 4);
    }
}
