namespace ZkGateway.Jute;

/// <summary>
/// Decodes UTF-8 as Java's <c>new String(bytes, StandardCharsets.UTF_8)</c> does, which is how ZooKeeper 3.8
/// reads every <c>ustring</c>. Valid UTF-8 decodes as .NET's decoder would; malformed input differs: Java
/// replaces an encoded surrogate (<c>ed a0 80</c>) with one U+FFFD where .NET writes three, and an unfinished
/// sequence at the end of the string with one U+FFFD that swallows its continuation bytes. Paths decoded this
/// way are echoed, validated and stored as ZooKeeper would (issue 15, item 8).
/// </summary>
public static class JavaUtf8
{
    private const char Replacement = '\uFFFD';

    public static string Decode(ReadOnlySpan<byte> bytes)
    {
        if (!bytes.ContainsAnyInRange((byte)0x80, (byte)0xFF))
        {
            return System.Text.Encoding.ASCII.GetString(bytes);
        }
        // Never more UTF-16 units than bytes: each byte gives at most one char, four bytes at most two.
        var chars = bytes.Length <= 512 ? stackalloc char[bytes.Length] : new char[bytes.Length];
        int n = 0;
        int sp = 0;
        int sl = bytes.Length;
        while (sp < sl)
        {
            int b1 = bytes[sp++];
            if (b1 < 0x80)
            {
                chars[n++] = (char)b1;
            }
            else if (b1 >= 0xC2 && b1 <= 0xDF)
            {
                if (sp >= sl)
                {
                    chars[n++] = Replacement;
                    break;
                }
                int b2 = bytes[sp];
                if (!IsContinuation(b2))
                {
                    chars[n++] = Replacement;
                    continue;
                }
                sp++;
                chars[n++] = (char)(((b1 & 0x1F) << 6) | (b2 & 0x3F));
            }
            else if (b1 >= 0xE0 && b1 <= 0xEF)
            {
                if (sp + 1 < sl)
                {
                    int b2 = bytes[sp];
                    int b3 = bytes[sp + 1];
                    if (IsMalformedSecondOfThree(b1, b2) || !IsContinuation(b3))
                    {
                        // Java skips the lead byte alone, or the lead and a good second byte.
                        chars[n++] = Replacement;
                        sp += IsMalformedSecondOfThree(b1, b2) ? 0 : 1;
                        continue;
                    }
                    sp += 2;
                    char c = (char)(((b1 & 0x0F) << 12) | ((b2 & 0x3F) << 6) | (b3 & 0x3F));
                    chars[n++] = char.IsSurrogate(c) ? Replacement : c;
                    continue;
                }
                if (sp < sl && IsMalformedSecondOfThree(b1, bytes[sp]))
                {
                    chars[n++] = Replacement;
                    continue;
                }
                // An unfinished sequence at the end: one replacement for all of it.
                chars[n++] = Replacement;
                break;
            }
            else if (b1 >= 0xF0 && b1 <= 0xF7)
            {
                if (sp + 2 < sl)
                {
                    int b2 = bytes[sp];
                    int b3 = bytes[sp + 1];
                    int b4 = bytes[sp + 2];
                    int cp = ((b1 & 0x07) << 18) | ((b2 & 0x3F) << 12) | ((b3 & 0x3F) << 6) | (b4 & 0x3F);
                    if (!IsContinuation(b2) || !IsContinuation(b3) || !IsContinuation(b4) || cp < 0x10000 || cp > 0x10FFFF)
                    {
                        chars[n++] = Replacement;
                        sp += IsMalformedSecondOfFour(b1, b2) ? 0 : IsContinuation(b3) ? 2 : 1;
                        continue;
                    }
                    sp += 3;
                    chars[n++] = (char)(0xD800 + ((cp - 0x10000) >> 10));
                    chars[n++] = (char)(0xDC00 + ((cp - 0x10000) & 0x3FF));
                    continue;
                }
                if (b1 > 0xF4 || (sp < sl && IsMalformedSecondOfFour(b1, bytes[sp])))
                {
                    chars[n++] = Replacement;
                    continue;
                }
                // Unfinished at the end: Java takes the second byte, then stops unless the third is not a continuation.
                sp++;
                chars[n++] = Replacement;
                if (sp < sl && !IsContinuation(bytes[sp]))
                {
                    continue;
                }
                break;
            }
            else
            {
                chars[n++] = Replacement;
            }
        }
        return new string(chars[..n]);
    }

    private static bool IsContinuation(int b) => (b & 0xC0) == 0x80;

    /// <summary>A second byte that cannot follow this 3-byte lead: not a continuation, or overlong after <c>e0</c>.</summary>
    private static bool IsMalformedSecondOfThree(int b1, int b2) => !IsContinuation(b2) || (b1 == 0xE0 && b2 < 0xA0);

    /// <summary>A second byte that cannot follow this 4-byte lead (overlong after <c>f0</c>, above U+10FFFF after <c>f4</c>).</summary>
    private static bool IsMalformedSecondOfFour(int b1, int b2) =>
        b1 > 0xF4 || !IsContinuation(b2) || (b1 == 0xF0 && b2 < 0x90) || (b1 == 0xF4 && b2 > 0x8F);
}
