namespace ZkGateway.Gateway.Migration;

/// <summary>
/// The Adler-32 checksum (RFC 1950) that ZooKeeper's snapshots and transaction logs carry
/// (java.util.zip.Adler32): .NET ships CRC-32 and CRC-64 but not this one.
/// </summary>
internal struct Adler32
{
    private const uint Modulus = 65521;
    // The most bytes summed before b can overflow 32 bits (zlib's NMAX).
    private const int Block = 5552;
    private uint _a;
    private uint _b;

    public Adler32()
    {
        _a = 1;
        _b = 0;
    }

    public readonly uint Value => (_b << 16) | _a;

    public void Append(ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            var block = bytes[..Math.Min(Block, bytes.Length)];
            foreach (byte b in block)
            {
                _a += b;
                _b += _a;
            }
            _a %= Modulus;
            _b %= Modulus;
            bytes = bytes[block.Length..];
        }
    }

    public static uint Of(ReadOnlySpan<byte> bytes)
    {
        var sum = new Adler32();
        sum.Append(bytes);
        return sum.Value;
    }
}
