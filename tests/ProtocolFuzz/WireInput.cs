using System.Text;

namespace ZkGateway.ProtocolFuzz;

/// <summary>One TCP write of an input; <see cref="AfterConnectResponse"/>: sent only once the ConnectResponse (or the close) has come.</summary>
public sealed record WireWrite(byte[] Bytes, bool AfterConnectResponse);

/// <summary>
/// What one fuzz input sends on one fresh connection: a list of writes. As text (the regression file and
/// failure reports) it is hex, writes separated by <c>|</c> (wait for the ConnectResponse first) or
/// <c>/</c> (a separate write, no wait).
/// <para>
/// Paths under <see cref="Token"/> are the input's own subtree: the executor swaps the token for a fresh
/// one of the same length on every run, so no run sees another run's nodes and the bytes keep their offsets.
/// </para>
/// </summary>
public sealed record WireInput(IReadOnlyList<WireWrite> Writes)
{
    /// <summary>The placeholder the seeds' paths start with (8 ASCII bytes, <c>/FZTOKEN0/…</c>).</summary>
    public const string Token = "FZTOKEN0";

    public static readonly byte[] TokenBytes = Encoding.ASCII.GetBytes(Token);

    public int Length => Writes.Sum(w => w.Bytes.Length);

    /// <summary>All bytes, in order, as one array.</summary>
    public byte[] Concat() => [.. Writes.SelectMany(w => w.Bytes)];

    public override string ToString()
    {
        var b = new StringBuilder();
        for (int i = 0; i < Writes.Count; i++)
        {
            if (i > 0)
            {
                b.Append(Writes[i].AfterConnectResponse ? '|' : '/');
            }
            b.Append(Convert.ToHexString(Writes[i].Bytes).ToLowerInvariant());
        }
        return b.ToString();
    }

    public static WireInput Parse(string text)
    {
        var writes = new List<WireWrite>();
        int start = 0;
        bool wait = false;
        for (int i = 0; i <= text.Length; i++)
        {
            if (i == text.Length || text[i] is '|' or '/')
            {
                writes.Add(new WireWrite(Convert.FromHexString(text[start..i]), wait));
                if (i < text.Length)
                {
                    wait = text[i] == '|';
                }
                start = i + 1;
            }
        }
        return new WireInput(writes);
    }

    /// <summary>The same writes with every occurrence of <see cref="Token"/> replaced by <paramref name="token"/> (same length).</summary>
    public WireInput WithToken(string token)
    {
        byte[] replacement = Encoding.ASCII.GetBytes(token);
        return new WireInput([.. Writes.Select(w => w with { Bytes = Replace(w.Bytes, TokenBytes, replacement) })]);
    }

    private static byte[] Replace(byte[] bytes, byte[] from, byte[] to)
    {
        var copy = (byte[])bytes.Clone();
        for (int i = copy.AsSpan().IndexOf(from); i >= 0;)
        {
            to.CopyTo(copy, i);
            int next = copy.AsSpan(i + from.Length).IndexOf(from);
            i = next < 0 ? -1 : i + from.Length + next;
        }
        return copy;
    }
}
