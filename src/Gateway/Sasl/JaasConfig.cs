using System.Text;

namespace ZkGateway.Gateway.Sasl;

/// <summary>One login module line of a JAAS section: <c>class flag key=value ... ;</c>.</summary>
public sealed record JaasEntry(string LoginModule, string Flag, IReadOnlyDictionary<string, string> Options);

/// <summary>A JAAS file that cannot be parsed; the message says where and why.</summary>
public sealed class JaasConfigException(string message) : Exception(message);

/// <summary>
/// A JAAS login configuration file (<c>java.security.auth.login.config</c>) as Java's ConfigFile reads it:
/// sections <c>Name { module flag key=value...; ... };</c>, <c>//</c> and <c>/* */</c> comments, values as
/// words or "double"/'single' quoted strings with backslash escapes, flags required / requisite /
/// sufficient / optional (any case), one section per name. Not done: Java's <c>${property}</c> expansion.
/// </summary>
public sealed class JaasConfig
{
    private static readonly string[] Flags = ["required", "requisite", "sufficient", "optional"];

    private readonly Dictionary<string, IReadOnlyList<JaasEntry>> _sections;

    private JaasConfig(Dictionary<string, IReadOnlyList<JaasEntry>> sections) => _sections = sections;

    /// <summary>The section's entries, or null when the file has no such section (names are case-sensitive).</summary>
    public IReadOnlyList<JaasEntry>? Section(string name) => _sections.GetValueOrDefault(name);

    public IEnumerable<string> SectionNames => _sections.Keys;

    /// <exception cref="JaasConfigException">The text is not a valid JAAS configuration.</exception>
    public static JaasConfig Parse(string text)
    {
        var tokens = new Tokenizer(text);
        var sections = new Dictionary<string, IReadOnlyList<JaasEntry>>(StringComparer.Ordinal);
        while (tokens.Next() is { } name)
        {
            if (name.Kind == TokenKind.Symbol)
            {
                throw tokens.Error($"expected a section name, found '{name.Text}'");
            }
            tokens.Expect('{');
            var entries = new List<JaasEntry>();
            while (true)
            {
                var first = tokens.Next() ?? throw tokens.Error($"section '{name.Text}' is not closed");
                if (first.IsSymbol('}'))
                {
                    break;
                }
                if (first.Kind != TokenKind.Word)
                {
                    throw tokens.Error($"expected a login module class in section '{name.Text}', found '{first.Text}'");
                }
                var flag = tokens.Next() ?? throw tokens.Error($"expected a control flag after {first.Text}");
                if (flag.Kind != TokenKind.Word || !Flags.Contains(flag.Text, StringComparer.OrdinalIgnoreCase))
                {
                    throw tokens.Error($"invalid control flag '{flag.Text}' for {first.Text} (required, requisite, sufficient or optional)");
                }
                var options = new Dictionary<string, string>(StringComparer.Ordinal);
                while (true)
                {
                    var key = tokens.Next() ?? throw tokens.Error($"the entry for {first.Text} does not end with ';'");
                    if (key.IsSymbol(';'))
                    {
                        break;
                    }
                    if (key.Kind != TokenKind.Word)
                    {
                        throw tokens.Error($"expected an option name for {first.Text}, found '{key.Text}'");
                    }
                    tokens.Expect('=');
                    var value = tokens.Next() ?? throw tokens.Error($"option {key.Text} has no value");
                    if (value.Kind == TokenKind.Symbol)
                    {
                        throw tokens.Error($"option {key.Text} has no value, found '{value.Text}'");
                    }
                    // Java keeps the last of repeated options (a HashMap put).
                    options[key.Text] = value.Text;
                }
                entries.Add(new JaasEntry(first.Text, flag.Text.ToLowerInvariant(), options));
            }
            tokens.Expect(';');
            if (!sections.TryAdd(name.Text, entries))
            {
                throw tokens.Error($"section '{name.Text}' is defined twice");
            }
        }
        return new JaasConfig(sections);
    }

    /// <exception cref="JaasConfigException">The file cannot be read or parsed; the message names it.</exception>
    public static JaasConfig Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new JaasConfigException($"cannot read JAAS configuration '{path}': {e.Message}");
        }
        try
        {
            return Parse(text);
        }
        catch (JaasConfigException e)
        {
            throw new JaasConfigException($"JAAS configuration '{path}': {e.Message}");
        }
    }

    private enum TokenKind
    {
        Word,
        Quoted,
        Symbol,
    }

    private readonly record struct Token(TokenKind Kind, string Text)
    {
        public bool IsSymbol(char c) => Kind == TokenKind.Symbol && Text.Length == 1 && Text[0] == c;
    }

    /// <summary>Java's StreamTokenizer as ConfigFile sets it up, reduced to what the grammar needs.</summary>
    private sealed class Tokenizer(string text)
    {
        private int _pos;
        private int _line = 1;

        public JaasConfigException Error(string problem) => new($"line {_line}: {problem}");

        public void Expect(char symbol)
        {
            var t = Next();
            if (t is not { } token || !token.IsSymbol(symbol))
            {
                throw Error($"expected '{symbol}', found {(t is { } found ? $"'{found.Text}'" : "the end of the file")}");
            }
        }

        public Token? Next()
        {
            SkipSpaceAndComments();
            if (_pos >= text.Length)
            {
                return null;
            }
            char c = text[_pos];
            if (c is '"' or '\'')
            {
                return new Token(TokenKind.Quoted, ReadQuoted(c));
            }
            if (IsWordChar(c))
            {
                int start = _pos;
                while (_pos < text.Length && IsWordChar(text[_pos]))
                {
                    _pos++;
                }
                return new Token(TokenKind.Word, text[start.._pos]);
            }
            _pos++;
            return new Token(TokenKind.Symbol, c.ToString());
        }

        // ConfigFile's word characters: letters, digits, '.', and '$', '_', '-', '*'.
        private static bool IsWordChar(char c) => char.IsLetterOrDigit(c) || c is '.' or '$' or '_' or '-' or '*';

        private void SkipSpaceAndComments()
        {
            while (_pos < text.Length)
            {
                char c = text[_pos];
                if (c == '\n')
                {
                    _line++;
                    _pos++;
                }
                else if (char.IsWhiteSpace(c))
                {
                    _pos++;
                }
                else if (c == '/' && _pos + 1 < text.Length && text[_pos + 1] == '*')
                {
                    int end = text.IndexOf("*/", _pos + 2, StringComparison.Ordinal);
                    if (end < 0)
                    {
                        throw Error("a /* comment is not closed");
                    }
                    _line += text.AsSpan(_pos, end - _pos).Count('\n');
                    _pos = end + 2;
                }
                else if (c == '/' && _pos + 1 < text.Length && text[_pos + 1] == '/')
                {
                    while (_pos < text.Length && text[_pos] != '\n')
                    {
                        _pos++;
                    }
                }
                else
                {
                    return;
                }
            }
        }

        private string ReadQuoted(char quote)
        {
            int startLine = _line;
            _pos++;
            var sb = new StringBuilder();
            while (true)
            {
                if (_pos >= text.Length || text[_pos] == '\n')
                {
                    // StreamTokenizer ends a quoted string at the end of the line; ConfigFile would then
                    // misparse the rest, so an unterminated string is reported here.
                    _line = startLine;
                    throw Error("a quoted string is not closed on its line");
                }
                char c = text[_pos++];
                if (c == quote)
                {
                    return sb.ToString();
                }
                if (c != '\\' || _pos >= text.Length)
                {
                    sb.Append(c);
                    continue;
                }
                char e = text[_pos++];
                switch (e)
                {
                    case 'n': sb.Append('\n'); break;
                    case 't': sb.Append('\t'); break;
                    case 'r': sb.Append('\r'); break;
                    case 'b': sb.Append('\b'); break;
                    case 'f': sb.Append('\f'); break;
                    case 'a': sb.Append('\a'); break;
                    case 'v': sb.Append('\v'); break;
                    case >= '0' and <= '7':
                    {
                        // Up to three octal digits (at most \377), as StreamTokenizer.
                        int value = e - '0';
                        int max = e <= '3' ? 2 : 1;
                        for (int i = 0; i < max && _pos < text.Length && text[_pos] is >= '0' and <= '7'; i++)
                        {
                            value = (value * 8) + (text[_pos++] - '0');
                        }
                        sb.Append((char)value);
                        break;
                    }
                    default: sb.Append(e); break;
                }
            }
        }
    }
}
