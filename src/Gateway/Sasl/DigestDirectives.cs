using System.Text;

namespace ZkGateway.Gateway.Sasl;

/// <summary>
/// RFC 2831's <c>digest-response</c> syntax: <c>name=value</c> pairs separated by commas (empty
/// elements allowed), a value a token or a quoted string with backslash quoting, names compared
/// without case. A directive given twice is a format violation, as in Java's DigestMD5Base.
/// </summary>
internal static class DigestDirectives
{
    /// <exception cref="SaslFailedException">The text is not a directive list.</exception>
    public static IReadOnlyDictionary<string, string> Parse(string text)
    {
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        int i = 0;
        while (true)
        {
            SkipSpace(text, ref i);
            while (i < text.Length && text[i] == ',')
            {
                i++;
                SkipSpace(text, ref i);
            }
            if (i >= text.Length)
            {
                return result;
            }
            int start = i;
            while (i < text.Length && text[i] is not ('=' or ',') && !char.IsWhiteSpace(text[i]))
            {
                i++;
            }
            string name = text[start..i];
            SkipSpace(text, ref i);
            if (name.Length == 0 || i >= text.Length || text[i] != '=')
            {
                throw new SaslFailedException($"DIGEST-MD5: digest response format violation near '{name}'");
            }
            i++;
            SkipSpace(text, ref i);
            string value;
            if (i < text.Length && text[i] == '"')
            {
                i++;
                var sb = new StringBuilder();
                while (true)
                {
                    if (i >= text.Length)
                    {
                        throw new SaslFailedException($"DIGEST-MD5: digest response format violation: unterminated value of {name}");
                    }
                    char c = text[i++];
                    if (c == '"')
                    {
                        break;
                    }
                    if (c == '\\' && i < text.Length)
                    {
                        c = text[i++];
                    }
                    sb.Append(c);
                }
                value = sb.ToString();
            }
            else
            {
                start = i;
                while (i < text.Length && text[i] != ',' && !char.IsWhiteSpace(text[i]))
                {
                    i++;
                }
                value = text[start..i];
            }
            if (!result.TryAdd(name, value))
            {
                throw new SaslFailedException($"DIGEST-MD5: digest response format violation: {name} given twice");
            }
            SkipSpace(text, ref i);
            if (i < text.Length && text[i] != ',')
            {
                throw new SaslFailedException($"DIGEST-MD5: digest response format violation after {name}");
            }
        }
    }

    private static void SkipSpace(string text, ref int i)
    {
        while (i < text.Length && char.IsWhiteSpace(text[i]))
        {
            i++;
        }
    }
}
