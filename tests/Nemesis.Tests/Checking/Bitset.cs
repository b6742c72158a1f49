namespace ZkGateway.Nemesis.Checking;

/// <summary>The set of operations linearized so far, compared and hashed by value for the search's memo.</summary>
internal sealed class Bitset : IEquatable<Bitset>
{
    private readonly ulong[] _words;
    private int _hash;

    public Bitset(int bits) => _words = new ulong[(bits + 63) / 64];

    private Bitset(ulong[] words, int hash)
    {
        _words = words;
        _hash = hash;
    }

    // The hash is kept up to date incrementally (xor of a mix of each member), so a memo look-up costs
    // one pass over the words only on a hash match.
    public void Set(int i)
    {
        if ((_words[i >> 6] & (1UL << (i & 63))) == 0)
        {
            _words[i >> 6] |= 1UL << (i & 63);
            _hash ^= Mix(i);
        }
    }

    public void Clear(int i)
    {
        if ((_words[i >> 6] & (1UL << (i & 63))) != 0)
        {
            _words[i >> 6] &= ~(1UL << (i & 63));
            _hash ^= Mix(i);
        }
    }

    public Bitset Clone() => new((ulong[])_words.Clone(), _hash);

    public bool Equals(Bitset? other) => other is not null && other._hash == _hash && _words.AsSpan().SequenceEqual(other._words);

    public override bool Equals(object? obj) => Equals(obj as Bitset);

    public override int GetHashCode() => _hash;

    private static int Mix(int i)
    {
        uint x = (uint)i * 0x9E3779B9u;
        x ^= x >> 16;
        x *= 0x85EBCA6Bu;
        x ^= x >> 13;
        return (int)x;
    }
}
