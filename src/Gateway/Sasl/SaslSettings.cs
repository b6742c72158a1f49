using ZkGateway.Gateway.Hosting;

namespace ZkGateway.Gateway.Sasl;

/// <summary>
/// The SASL and enforce.auth keys, read as ZooKeeper 3.8.0 reads them: system properties, which the
/// gateway takes from zoo.cfg or the command line, with or without the <c>zookeeper.</c> prefix (3.8.0's
/// zoo.cfg parser prefixes unknown keys with it), except <c>java.security.auth.login.config</c>, a JVM
/// property that ZooKeeper takes only from the command line and the gateway also from zoo.cfg.
/// </summary>
public sealed class SaslSettings
{
    public const string LoginConfigKey = "java.security.auth.login.config";
    public const string ProviderClass = "org.apache.zookeeper.server.auth.SASLAuthenticationProvider";
    public const string DigestLoginModule = "org.apache.zookeeper.server.auth.DigestLoginModule";

    /// <summary>No SASL: op 102 is answered with a null token, as by a server without a JAAS file.</summary>
    public static readonly SaslSettings Disabled = new();

    /// <summary>DIGEST-MD5 users of the JAAS section (<c>user_&lt;name&gt;="&lt;password&gt;"</c>); null: SASL is not configured.</summary>
    public IReadOnlyDictionary<string, string>? Users { get; private init; }

    /// <summary>Whether the Server section logs in with Krb5LoginModule, so the mechanism is GSSAPI, not DIGEST-MD5.</summary>
    public bool Gssapi { get; private init; }

    /// <summary>The Krb5LoginModule section's keytab, principal and login, applied at start-up; null: no keyTab option.</summary>
    public KerberosService? Kerberos { get; private init; }

    /// <summary>The JAAS section read: <c>zookeeper.sasl.serverconfig</c>, default <c>Server</c>.</summary>
    public string ServerSection { get; private init; } = "Server";

    /// <summary>Whether an <c>authProvider.*</c> key registers SASLAuthenticationProvider (the sasl ACL scheme, whoAmI's user).</summary>
    public bool ProviderEnabled { get; private init; }

    /// <summary><c>zookeeper.superUser</c> and <c>zookeeper.superUser.*</c>: authorization ids that also get <c>super</c>.</summary>
    public IReadOnlySet<string> SuperUsers { get; private init; } = new HashSet<string>();

    /// <summary><c>zookeeper.SASLAuthenticationProvider.superPassword</c>: the password of user <c>super</c>, over the JAAS file's.</summary>
    public string? SuperPassword { get; private init; }

    /// <summary><c>zookeeper.kerberos.removeHostFromPrincipal</c> (exactly "true").</summary>
    public bool RemoveHostFromPrincipal { get; private init; }

    /// <summary><c>zookeeper.kerberos.removeRealmFromPrincipal</c> (exactly "true").</summary>
    public bool RemoveRealmFromPrincipal { get; private init; }

    /// <summary><c>zookeeper.allowSaslFailedClients</c>: keep a client whose SASL failed (unless SASL is required).</summary>
    public bool AllowSaslFailedClients { get; private init; }

    /// <summary>enforce.auth in effect (<c>zookeeper.enforce.auth.enabled</c>, or sessionRequireClientSASLAuth).</summary>
    public bool EnforceAuth { get; private init; }

    /// <summary>The schemes one of which a session must hold (<c>zookeeper.enforce.auth.schemes</c>, or sasl).</summary>
    public IReadOnlyList<string> EnforceAuthSchemes { get; private init; } = [];

    /// <summary>AuthenticationHelper.isSaslAuthRequired: enforcement on and sasl among its schemes.</summary>
    public bool SaslRequired => EnforceAuth && EnforceAuthSchemes.Contains("sasl");

    /// <summary>Whether SASL is configured (a JAAS file with the server section).</summary>
    public bool Configured => Users is not null;

    /// <summary>A problem that is not an error (the JAAS file lacks the server section), for the start-up log.</summary>
    public string? Warning { get; private init; }

    /// <summary>
    /// Reads the keys from <paramref name="options"/>' raw configuration and the JAAS file they name.
    /// </summary>
    /// <exception cref="GatewayConfigurationException">An unreadable or malformed JAAS file, or enforce.auth without schemes or with an unregistered one.</exception>
    public static SaslSettings Load(GatewayOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var raw = options.Raw;
        string section = Property(raw, "sasl.serverconfig") ?? "Server";
        bool provider = raw.Any(kv => IsAuthProviderKey(kv.Key) && kv.Value.Trim() == ProviderClass);

        Dictionary<string, string>? users = null;
        string? warning = null;
        bool gssapi = false;
        KerberosService? kerberosService = null;
        if (raw.TryGetValue(LoginConfigKey, out var jaasPath))
        {
            JaasConfig jaas;
            try
            {
                jaas = JaasConfig.Load(jaasPath);
            }
            catch (JaasConfigException e)
            {
                throw new GatewayConfigurationException($"Invalid configuration: {LoginConfigKey}={jaasPath}: {e.Message}", e);
            }
            // 3.8.0 (ServerCnxnFactory.configureSaslLogin): a file without the section means no SASL, silently.
            if (jaas.Section(section) is { } entries)
            {
                // A Kerberos login gives 3.8.0's server a principal, and then it speaks GSSAPI only (ZooKeeperSaslServer).
                if (entries.FirstOrDefault(e => e.LoginModule.EndsWith("Krb5LoginModule", StringComparison.Ordinal)) is { } kerberos)
                {
                    if (kerberos.Options.GetValueOrDefault("keyTab") is { Length: > 0 } keytab)
                    {
                        // Krb5LoginModule: isInitiator is "true" (any case) or absent, and then login() gets the principal's TGT.
                        kerberosService = new KerberosService(
                            keytab,
                            kerberos.Options.GetValueOrDefault("principal") is { Length: > 0 } principal ? principal : null,
                            string.Equals(kerberos.Options.GetValueOrDefault("isInitiator", "true"), "true", StringComparison.OrdinalIgnoreCase));
                    }
                    gssapi = true;
                }
                // SaslServerCallbackHandler: every user_<name> option of every entry of the section.
                users = new Dictionary<string, string>(StringComparer.Ordinal);
                foreach (var entry in entries)
                {
                    foreach (var (key, value) in entry.Options)
                    {
                        if (key.StartsWith("user_", StringComparison.Ordinal))
                        {
                            users[key["user_".Length..]] = value;
                        }
                    }
                }
            }
            else
            {
                warning = $"{jaasPath} has no '{section}' section (zookeeper.sasl.serverconfig): SASL is off, as in ZooKeeper 3.8.0";
            }
        }

        bool requireSasl = Bool(Property(raw, "sessionRequireClientSASLAuth"));
        bool enforce = requireSasl || Bool(Property(raw, "enforce.auth.enabled"));
        List<string> schemes = requireSasl ? ["sasl"]
            : Property(raw, "enforce.auth.schemes") is { } list ? [.. list.Split(',').Select(s => s.Trim())]
            : [];
        if (enforce)
        {
            // AuthenticationHelper.validateConfiguredProperties, at start-up.
            if (schemes.Count == 0)
            {
                throw new GatewayConfigurationException("zookeeper.enforce.auth.enabled is true zookeeper.enforce.auth.schemes must be configured.");
            }
            foreach (var scheme in schemes)
            {
                bool registered = scheme is "ip" or "digest" || (scheme == "x509" && options.X509ProviderEnabled) || (scheme == "sasl" && provider);
                if (!registered)
                {
                    throw new GatewayConfigurationException($"Invalid configuration: zookeeper.enforce.auth.schemes: Authentication scheme {scheme} is not available (register its provider with zookeeper.authProvider.N)");
                }
            }
        }

        return new SaslSettings
        {
            Users = users,
            Gssapi = gssapi,
            Kerberos = kerberosService,
            ServerSection = section,
            ProviderEnabled = provider,
            SuperUsers = raw.Where(kv => IsSuperUserKey(kv.Key)).Select(kv => kv.Value).ToHashSet(StringComparer.Ordinal),
            SuperPassword = Property(raw, "SASLAuthenticationProvider.superPassword"),
            RemoveHostFromPrincipal = Property(raw, "kerberos.removeHostFromPrincipal") == "true",
            RemoveRealmFromPrincipal = Property(raw, "kerberos.removeRealmFromPrincipal") == "true",
            // Boolean.getBoolean: "true" in any case.
            AllowSaslFailedClients = Bool(Property(raw, "allowSaslFailedClients")),
            EnforceAuth = enforce,
            EnforceAuthSchemes = schemes,
            Warning = warning,
        };
    }

    /// <summary>The password a DIGEST-MD5 user authenticates with (SaslServerCallbackHandler), or null: unknown user.</summary>
    public string? PasswordOf(string user) =>
        user == "super" && SuperPassword is not null ? SuperPassword : Users?.GetValueOrDefault(user);

    /// <summary>The value of <c>zookeeper.&lt;name&gt;</c>, else of <c>&lt;name&gt;</c> (its zoo.cfg spelling).</summary>
    private static string? Property(Dictionary<string, string> raw, string name) =>
        raw.TryGetValue("zookeeper." + name, out var v) || raw.TryGetValue(name, out v) ? v : null;

    // Boolean.parseBoolean.
    private static bool Bool(string? value) => string.Equals(value, "true", StringComparison.OrdinalIgnoreCase);

    private static bool IsAuthProviderKey(string key) =>
        key.StartsWith("authProvider.", StringComparison.Ordinal) || key.StartsWith("zookeeper.authProvider.", StringComparison.Ordinal);

    // isSaslSuperUser: zookeeper.superUser, or zookeeper.superUser.<anything>.
    private static bool IsSuperUserKey(string key)
    {
        string name = key.StartsWith("zookeeper.", StringComparison.Ordinal) ? key["zookeeper.".Length..] : key;
        return name == "superUser" || name.StartsWith("superUser.", StringComparison.Ordinal);
    }
}
