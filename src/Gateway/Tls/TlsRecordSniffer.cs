using System.Buffers;

namespace ZkGateway.Gateway.Tls;

/// <summary>
/// Tells a TLS client from a plaintext one by the first bytes it sends, as 3.8.0's unified client port
/// does (NettyServerCnxnFactory.DualModeSslHandler over Netty 4.1's OptionalSslHandler and
/// SslHandler.isEncrypted):
/// <list type="bullet">
/// <item>fewer than 5 bytes: plaintext unless the first byte is 22 (a TLS handshake record), so a
/// four-letter word is answered at once; with 22, wait for more;</item>
/// <item>5 bytes or more: TLS when they are a TLS record header (content type 20 to 24, major version 3,
/// a non-empty length) or an SSLv2 record header (version byte 2 or 3 where SSLv2 puts it); otherwise
/// plaintext.</item>
/// </list>
/// A ZooKeeper frame starts with its 4-byte length (first byte 0, as frames are below 16 MiB) and then
/// its protocol version or xid, so it never looks like TLS; a four-letter word is ASCII letters.
/// </summary>
public static class TlsRecordSniffer
{
    /// <summary>What the bytes seen so far say.</summary>
    public enum Verdict
    {
        /// <summary>Not decided yet: wait for more bytes.</summary>
        NeedMore,

        /// <summary>A TLS (or SSL) client: run the handshake.</summary>
        Tls,

        /// <summary>A plaintext ZooKeeper client or a four-letter word.</summary>
        Plaintext,
    }

    /// <summary>The length of a TLS record header, which is all Netty looks at.</summary>
    public const int HeaderLength = 5;

    private const byte HandshakeRecordType = 22;

    /// <summary>Classifies the first bytes of a connection.</summary>
    public static Verdict Classify(ReadOnlySequence<byte> received)
    {
        if (received.IsEmpty)
        {
            return Verdict.NeedMore;
        }
        Span<byte> header = stackalloc byte[HeaderLength];
        int n = (int)Math.Min(received.Length, HeaderLength);
        received.Slice(0, n).CopyTo(header);
        return Classify(header[..n]);
    }

    /// <summary>Classifies the first bytes of a connection (only the first <see cref="HeaderLength"/> matter).</summary>
    public static Verdict Classify(ReadOnlySpan<byte> received)
    {
        if (received.IsEmpty)
        {
            return Verdict.NeedMore;
        }
        if (received.Length < HeaderLength)
        {
            return received[0] == HandshakeRecordType ? Verdict.NeedMore : Verdict.Plaintext;
        }
        return IsTlsRecordHeader(received) || IsSsl2RecordHeader(received) ? Verdict.Tls : Verdict.Plaintext;
    }

    /// <summary>change_cipher_spec, alert, handshake, application_data or heartbeat; SSL 3.0 / TLS 1.x; a payload.</summary>
    private static bool IsTlsRecordHeader(ReadOnlySpan<byte> b) =>
        b[0] is >= 20 and <= 24 && b[1] == 3 && ((b[3] << 8) | b[4]) > 0;

    /// <summary>SSLv2's 2-byte (high bit set) or 3-byte record header, followed by the message type and the major version.</summary>
    private static bool IsSsl2RecordHeader(ReadOnlySpan<byte> b)
    {
        int headerLength = (b[0] & 0x80) != 0 ? 2 : 3;
        return b[headerLength + 1] is 2 or 3;
    }
}
