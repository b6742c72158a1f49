using System.Globalization;
using System.Text;

namespace ZkGateway.Gateway.Hosting;

/// <summary>
/// zoo.cfg and command-line parsing. The file is java.util.Properties-like (<c>key=value</c>,
/// <c>key: value</c> or <c>key value</c>; <c>#</c>/<c>!</c> comment lines; trailing-backslash continuation;
/// later keys win). Command-line <c>--key=value</c> overrides the file.
/// </summary>
public static class ZooCfg
{
    /// <summary>Canonical key names (ZooKeeper's), including accepted aliases.</summary>
    public static class Keys
    {
        public const string ClientPort = "clientPort";
        public const string ClientPortAddress = "clientPortAddress";
        public const string DataDir = "dataDir";
        public const string DataLogDir = "dataLogDir";
        public const string TickTime = "tickTime";
        public const string MinSessionTimeout = "minSessionTimeout";
        public const string MaxSessionTimeout = "maxSessionTimeout";
        public const string MaxClientCnxns = "maxClientCnxns";
        public const string ClientPortListenBacklog = "clientPortListenBacklog";
        public const string JuteMaxBuffer = "jute.maxbuffer";
        public const string Whitelist = "4lw.commands.whitelist";
        public const string ExtendedTypesEnabled = "zookeeper.extendedTypesEnabled";
        public const string EnforceQuota = "zookeeper.enforceQuota";
        public const string ServerId = "serverId";
        public const string HandshakeTimeoutMs = "handshakeTimeoutMs";
        public const string InlineScheduling = "inlineScheduling";
        public const string EpochWaitMs = "epochWaitMs";
        public const string MemoryTrimIdleMs = "memoryTrimIdleMs";
        public const string LivenessRenewalMs = "livenessRenewalMs";
        public const string HeartbeatIntervalMs = "heartbeatIntervalMs";
        public const string Verbose = "verbose";
        public const string SuperDigest = "zookeeper.DigestAuthenticationProvider.superDigest";
        public const string Backend = "backend";
        public const string GatewayId = "gatewayId";
        public const string ContainerCheckIntervalMs = "znode.container.checkIntervalMs";
        public const string SnapSizeLimitInKb = "zookeeper.snapSizeLimitInKb";
        public const string ContainerMaxPerMinute = "znode.container.maxPerMinute";
        public const string ContainerMaxNeverUsedIntervalMs = "znode.container.maxNeverUsedIntervalMs";
        public const string SecureClientPort = "secureClientPort";
        public const string SecureClientPortAddress = "secureClientPortAddress";
        public const string X509SuperUser = "zookeeper.X509AuthenticationProvider.superUser";
        public const string PortUnification = "client.portUnification";
        public const string CertReload = "client.certReload";

        /// <summary>The class name that registers the x509 scheme through an <c>authProvider.*</c> key.</summary>
        public const string X509ProviderClass = "org.apache.zookeeper.server.auth.X509AuthenticationProvider";
    }

    /// <summary>
    /// Parses command-line arguments: <c>--config PATH</c>, <c>--config=PATH</c>, a single bare path
    /// (like ZooKeeper's main), <c>--key=value</c>, <c>-Dkey=value</c>, and flags <c>--verbose</c>/<c>-v</c>.
    /// The config file (if any) is applied first, then the command-line keys in order.
    /// </summary>
    /// <exception cref="GatewayConfigurationException">On an unreadable file, a malformed argument or a bad value.</exception>
    public static GatewayOptions Parse(IReadOnlyList<string> args)
    {
        string? configPath = null;
        var overrides = new List<KeyValuePair<string, string>>();
        for (int i = 0; i < args.Count; i++)
        {
            string a = args[i];
            if (a == "--config" || a == "-c")
            {
                if (i + 1 >= args.Count)
                {
                    throw new GatewayConfigurationException($"Missing path after {a}");
                }
                configPath = args[++i];
                continue;
            }
            if (a.StartsWith("--config=", StringComparison.Ordinal))
            {
                configPath = a["--config=".Length..];
                continue;
            }
            if (a is "--verbose" or "-v")
            {
                overrides.Add(new(Keys.Verbose, "true"));
                continue;
            }
            string? body = a.StartsWith("--", StringComparison.Ordinal) ? a[2..]
                : a.StartsWith("-D", StringComparison.Ordinal) ? a[2..]
                : null;
            if (body is null)
            {
                if (configPath is null && !a.StartsWith('-'))
                {
                    configPath = a;
                    continue;
                }
                throw new GatewayConfigurationException($"Unrecognized argument '{a}' (expected --key=value or --config PATH)");
            }
            int eq = body.IndexOf('=');
            if (eq <= 0)
            {
                throw new GatewayConfigurationException($"Unrecognized argument '{a}' (expected --key=value)");
            }
            overrides.Add(new(body[..eq].Trim(), body[(eq + 1)..].Trim()));
        }

        var options = new GatewayOptions();
        if (configPath is not null)
        {
            string text;
            try
            {
                text = File.ReadAllText(configPath);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
            {
                throw new GatewayConfigurationException($"Cannot read config file '{configPath}': {e.Message}", e);
            }
            foreach (var kv in ParseProperties(text))
            {
                Apply(options, kv.Key, kv.Value);
            }
        }
        foreach (var kv in overrides)
        {
            Apply(options, kv.Key, kv.Value);
        }
        ApplyPortDefaults(options);
        options.Validate();
        options.Sasl = Sasl.SaslSettings.Load(options);
        return options;
    }

    /// <summary>ZooKeeper serves no plaintext port when only <c>secureClientPort</c> is configured.</summary>
    private static void ApplyPortDefaults(GatewayOptions options)
    {
        if (options.SecureClientPort != -1 && !options.Raw.ContainsKey(Keys.ClientPort))
        {
            options.ClientPort = -1;
        }
    }

    /// <summary>Parses zoo.cfg text into options (no command line), then validates.</summary>
    public static GatewayOptions ParseText(string text)
    {
        var options = new GatewayOptions();
        foreach (var kv in ParseProperties(text))
        {
            Apply(options, kv.Key, kv.Value);
        }
        ApplyPortDefaults(options);
        options.Validate();
        options.Sasl = Sasl.SaslSettings.Load(options);
        return options;
    }

    /// <summary>
    /// java.util.Properties-style parsing, returning entries in file order (duplicates kept; apply in order so later wins).
    /// </summary>
    public static IReadOnlyList<KeyValuePair<string, string>> ParseProperties(string text)
    {
        var result = new List<KeyValuePair<string, string>>();
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n').Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].TrimStart(' ', '\t', '\f');
            if (line.Length == 0 || line[0] == '#' || line[0] == '!')
            {
                continue;
            }
            // Logical line: an odd number of trailing backslashes continues onto the next line.
            var logical = new StringBuilder();
            while (true)
            {
                int trailing = 0;
                for (int j = line.Length - 1; j >= 0 && line[j] == '\\'; j--)
                {
                    trailing++;
                }
                if (trailing % 2 == 1 && i + 1 < lines.Length)
                {
                    logical.Append(line, 0, line.Length - 1);
                    line = lines[++i].TrimStart(' ', '\t', '\f');
                    continue;
                }
                logical.Append(trailing % 2 == 1 ? line[..^1] : line);
                break;
            }
            string l = logical.ToString();
            int sep = -1;
            for (int j = 0; j < l.Length; j++)
            {
                char c = l[j];
                if (c == '\\')
                {
                    j++;
                    continue;
                }
                if (c is '=' or ':' or ' ' or '\t' or '\f')
                {
                    sep = j;
                    break;
                }
            }
            string key, value;
            if (sep < 0)
            {
                key = l;
                value = "";
            }
            else
            {
                key = l[..sep];
                int v = sep;
                // Skip whitespace, then at most one '='/':' and whitespace again.
                while (v < l.Length && l[v] is ' ' or '\t' or '\f')
                {
                    v++;
                }
                if (v < l.Length && l[v] is '=' or ':')
                {
                    v++;
                }
                value = l[v..];
            }
            result.Add(new(Unescape(key).Trim(), Unescape(value).Trim()));
        }
        return result;
    }

    private static string Unescape(string s)
    {
        if (!s.Contains('\\', StringComparison.Ordinal))
        {
            return s;
        }
        var sb = new StringBuilder(s.Length);
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            if (c != '\\' || i + 1 >= s.Length)
            {
                sb.Append(c);
                continue;
            }
            char n = s[++i];
            switch (n)
            {
                case 't': sb.Append('\t'); break;
                case 'n': sb.Append('\n'); break;
                case 'r': sb.Append('\r'); break;
                case 'f': sb.Append('\f'); break;
                case 'u' when i + 4 < s.Length && ushort.TryParse(s.AsSpan(i + 1, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out ushort u):
                    sb.Append((char)u);
                    i += 4;
                    break;
                default: sb.Append(n); break;
            }
        }
        return sb.ToString();
    }

    /// <summary>Applies one key to <paramref name="options"/> (also recording it in <see cref="GatewayOptions.Raw"/>).</summary>
    /// <exception cref="GatewayConfigurationException">When the value is invalid for a known key.</exception>
    public static void Apply(GatewayOptions options, string key, string value)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        options.Raw[key] = value;
        switch (key)
        {
            case Keys.ClientPort:
                options.ClientPort = ParseInt(key, value, 0, 65535);
                break;
            case Keys.ClientPortAddress:
                if (!System.Net.IPAddress.TryParse(value, out _))
                {
                    throw new GatewayConfigurationException(key, value, "must be an IP address");
                }
                options.ClientPortAddress = value;
                break;
            case Keys.DataDir:
                options.DataDir = NonEmpty(key, value);
                break;
            case Keys.SecureClientPort:
                options.SecureClientPort = ParseInt(key, value, 0, 65535);
                break;
            case Keys.SecureClientPortAddress:
                if (!System.Net.IPAddress.TryParse(value, out _))
                {
                    throw new GatewayConfigurationException(key, value, "must be an IP address");
                }
                options.SecureClientPortAddress = value;
                break;
            case Keys.PortUnification:
            case "zookeeper." + Keys.PortUnification:
                // Boolean.getBoolean: true only for "true", in any case; anything else is false, not an error.
                options.PortUnification = value.Trim().Equals("true", StringComparison.OrdinalIgnoreCase);
                break;
            case Keys.CertReload:
            case "zookeeper." + Keys.CertReload:
                options.Tls.CertReload = value.Trim().Equals("true", StringComparison.OrdinalIgnoreCase);
                break;
            case Keys.X509SuperUser:
            case "X509AuthenticationProvider.superUser":
                options.X509SuperUser = value;
                break;
            case string ssl when ssl.StartsWith("ssl.", StringComparison.Ordinal) || ssl.StartsWith("zookeeper.ssl.", StringComparison.Ordinal):
                ApplyTls(options.Tls, key, ssl[(ssl.IndexOf("ssl.", StringComparison.Ordinal) + 4)..], value);
                break;
            case string provider when provider.StartsWith("authProvider.", StringComparison.Ordinal) || provider.StartsWith("zookeeper.authProvider.", StringComparison.Ordinal):
                if (value.Trim() == Keys.X509ProviderClass)
                {
                    options.X509ProviderEnabled = true;
                }
                break;
            case Keys.DataLogDir:
                options.DataLogDir = NonEmpty(key, value);
                break;
            case Keys.TickTime:
                options.TickTime = ParseInt(key, value, 1, int.MaxValue);
                break;
            case Keys.MinSessionTimeout:
                options.MinSessionTimeout = ParseInt(key, value, -1, int.MaxValue);
                break;
            case Keys.MaxSessionTimeout:
                options.MaxSessionTimeout = ParseInt(key, value, -1, int.MaxValue);
                break;
            case Keys.MaxClientCnxns:
                options.MaxClientCnxns = ParseInt(key, value, 0, int.MaxValue);
                break;
            case Keys.ClientPortListenBacklog:
                options.ClientPortListenBacklog = ParseInt(key, value, -1, int.MaxValue);
                break;
            case Keys.JuteMaxBuffer:
                options.JuteMaxBuffer = ParseInt(key, value, 1, int.MaxValue);
                break;
            case Keys.Whitelist:
            case "zookeeper." + Keys.Whitelist:
                options.FourLetterWordWhitelist = ParseWhitelist(value);
                break;
            case Keys.ExtendedTypesEnabled:
            case "extendedTypesEnabled":
                options.ExtendedTypesEnabled = ParseBool(key, value);
                break;
            case Keys.EnforceQuota:
            case "enforceQuota":
                options.EnforceQuota = ParseBool(key, value);
                break;
            case Keys.SnapSizeLimitInKb:
            case "snapSizeLimitInKb":
                options.SnapshotLogBytes = ParseLong(key, value, 1, long.MaxValue / 1024) * 1024;
                break;
            // ZooKeeper's system properties of these names; 0 would stop its timer (interval) or
            // divide by zero (maxPerMinute), so both must be positive here.
            case Keys.ContainerCheckIntervalMs:
                options.ContainerCheckIntervalMs = ParseInt(key, value, 1, int.MaxValue);
                break;
            case Keys.ContainerMaxPerMinute:
                options.ContainerMaxPerMinute = ParseInt(key, value, 1, int.MaxValue);
                break;
            case Keys.ContainerMaxNeverUsedIntervalMs:
                options.ContainerMaxNeverUsedIntervalMs = ParseLong(key, value, 0, long.MaxValue);
                break;
            case Keys.ServerId:
                options.ServerId = ParseInt(key, value, 0, 255);
                break;
            case Keys.HandshakeTimeoutMs:
                options.HandshakeTimeoutMs = ParseInt(key, value, 1, int.MaxValue);
                break;
            case Keys.InlineScheduling:
                options.InlineScheduling = ParseBool(key, value);
                break;
            case Keys.MemoryTrimIdleMs:
                options.MemoryTrimIdleMs = ParseInt(key, value, 0, int.MaxValue);
                break;
            case Keys.EpochWaitMs:
                options.EpochWaitMs = ParseInt(key, value, 1, int.MaxValue);
                break;
            case Keys.HeartbeatIntervalMs:
                options.HeartbeatIntervalMs = ParseInt(key, value, 1, int.MaxValue);
                break;
            case Keys.LivenessRenewalMs:
                // Each renewal is valid for one and a half times this, which must fit an int of milliseconds.
                options.LivenessRenewalMs = ParseInt(key, value, 1, int.MaxValue / 2);
                break;
            case Keys.Verbose:
                options.Verbose = ParseBool(key, value);
                break;
            case Keys.Backend:
                options.Backend = value is "embedded" or "aws" ? value : throw new GatewayConfigurationException(key, value, "must be embedded or aws");
                break;
            case Keys.GatewayId:
                options.GatewayId = value.Length is > 0 and <= 40 && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_')
                    ? value
                    : throw new GatewayConfigurationException(key, value, "must be 1 to 40 letters, digits, '-' or '_'");
                break;
            case "aws.deployment":
                options.Aws.Deployment = NonEmpty(key, value);
                break;
            case "aws.region":
                options.Aws.Region = NonEmpty(key, value);
                break;
            case "aws.dynamodb":
                options.Aws.DynamoDb = NonEmpty(key, value);
                break;
            case "aws.s3":
                options.Aws.S3 = NonEmpty(key, value);
                break;
            case "aws.sqs":
                options.Aws.Sqs = NonEmpty(key, value);
                break;
            case "aws.userStorage":
                options.Aws.UserStorage = value is "persistent" or "key-value" ? value : throw new GatewayConfigurationException(key, value, "must be persistent or key-value");
                break;
            case "aws.writePath":
                options.Aws.WritePath = value is "queue" or "gateway" ? value : throw new GatewayConfigurationException(key, value, "must be queue or gateway");
                break;
            case "aws.bucket":
                options.Aws.Bucket = NonEmpty(key, value);
                break;
            case string operatorKey when OperatorKeys.Owns(operatorKey):
                OperatorKeys.Apply(options, key, value);
                break;
            default:
                // Unknown keys (superDigest, initLimit, ...) stay in Raw only.
                break;
        }
    }

    /// <summary>
    /// One <c>ssl.*</c> key (<paramref name="name"/> without the prefix). Unknown <c>ssl.*</c> keys
    /// (quorum, CRL/OCSP, hostname verification, which concern the client side or the quorum) stay in Raw.
    /// </summary>
    private static void ApplyTls(TlsSettings tls, string key, string name, string value)
    {
        switch (name)
        {
            case "keyStore.location":
                tls.KeyStoreLocation = NonEmpty(key, value);
                break;
            case "keyStore.password":
                tls.KeyStorePassword = value;
                break;
            case "keyStore.type":
                tls.KeyStoreType = StoreType(key, value);
                break;
            case "trustStore.location":
                tls.TrustStoreLocation = NonEmpty(key, value);
                break;
            case "trustStore.password":
                tls.TrustStorePassword = value;
                break;
            case "trustStore.type":
                tls.TrustStoreType = StoreType(key, value);
                break;
            case "clientAuth":
                // X509Util.ClientAuth.fromPropertyValue: empty = NEED, else valueOf(upper case).
                tls.ClientAuth = value.ToUpperInvariant() switch
                {
                    "" or "NEED" => TlsClientAuth.Need,
                    "WANT" => TlsClientAuth.Want,
                    "NONE" => TlsClientAuth.None,
                    _ => throw new GatewayConfigurationException(key, value, "must be none, want or need"),
                };
                break;
            case "protocol":
                tls.Protocol = NonEmpty(key, value);
                break;
            case "enabledProtocols":
                tls.EnabledProtocols = SplitList(key, value);
                break;
            case "ciphersuites":
                tls.CipherSuites = SplitList(key, value);
                break;
            case "handshakeDetectionTimeoutMillis":
                tls.HandshakeTimeoutMillis = ParseInt(key, value, 1, int.MaxValue);
                break;
            default:
                break;
        }
    }

    /// <summary>KeyStoreFileType.fromPropertyValue: case-insensitive; empty = from the file name.</summary>
    private static string? StoreType(string key, string value) => value.ToUpperInvariant() switch
    {
        "" => null,
        "PKCS12" or "PEM" or "JKS" or "BCFKS" => value.ToUpperInvariant(),
        _ => throw new GatewayConfigurationException(key, value, "must be PKCS12, PEM, JKS or BCFKS"),
    };

    private static string[] SplitList(string key, string value)
    {
        var items = value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        return items.Length > 0 ? items : throw new GatewayConfigurationException(key, value, "must name at least one entry");
    }

    /// <summary>Parses a comma-separated whitelist; entries are trimmed, empties dropped.</summary>
    public static ISet<string> ParseWhitelist(string value)
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        foreach (var part in value.Split(','))
        {
            string t = part.Trim();
            if (t.Length > 0)
            {
                set.Add(t);
            }
        }
        return set;
    }

    private static string NonEmpty(string key, string value) =>
        value.Length == 0 ? throw new GatewayConfigurationException(key, value, "must not be empty") : value;

    private static int ParseInt(string key, string value, int min, int max) => (int)ParseLong(key, value, min, max);

    private static long ParseLong(string key, string value, long min, long max)
    {
        long parsed;
        bool ok = value.StartsWith("0x", StringComparison.OrdinalIgnoreCase) || value.StartsWith("0X", StringComparison.Ordinal)
            ? long.TryParse(value.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out parsed)
            : long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out parsed);
        if (!ok)
        {
            throw new GatewayConfigurationException(key, value, "not an integer");
        }
        if (parsed < min || parsed > max)
        {
            throw new GatewayConfigurationException(key, value,
                max is int.MaxValue or long.MaxValue ? $"must be at least {min}" : $"must be between {min} and {max}");
        }
        return parsed;
    }

    private static bool ParseBool(string key, string value)
    {
        if (string.Equals(value, "true", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }
        if (string.Equals(value, "false", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }
        throw new GatewayConfigurationException(key, value, "must be true or false");
    }
}
