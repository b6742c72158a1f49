using System.Text.RegularExpressions;

namespace ZkGateway.Gateway.Sasl;

/// <summary>
/// The authorization id a SASL client gets, as 3.8.0's SaslServerCallbackHandler.handleAuthorizeCallback
/// builds it from the authenticated name with KerberosName: <c>service[/host][@realm]</c>, the short name
/// by the <c>DEFAULT</c> auth_to_local rule, then <c>/host</c> unless
/// <c>zookeeper.kerberos.removeHostFromPrincipal</c> and <c>@realm</c> unless
/// <c>zookeeper.kerberos.removeRealmFromPrincipal</c>. The default realm is taken as empty (no krb5.conf,
/// as on a DIGEST-MD5-only server); custom <c>zookeeper.security.auth_to_local</c> rules are not read.
/// </summary>
public static partial class KerberosNames
{
    // KerberosName.nameParser.
    [GeneratedRegex(@"\A([^/@]*)(/([^/@]*))?@([^/@]*)\z")]
    private static partial Regex NameParser();

    /// <summary>
    /// The sasl id for <paramref name="authenticationId"/>. When no rule gives a short name (a realm other
    /// than the default), 3.8.0 logs the failure and keeps the client's <paramref name="authorizationId"/>.
    /// </summary>
    /// <exception cref="SaslFailedException">A name with '@' that is not a Kerberos name (KerberosName throws).</exception>
    public static string AuthorizedId(string authenticationId, string authorizationId, bool removeHost, bool removeRealm)
    {
        var (service, host, realm) = Parse(authenticationId) ?? throw new SaslFailedException($"Malformed Kerberos name: {authenticationId}");
        string? shortName = host is null && realm is null ? service
            : realm == DefaultRealm ? service
            : null;
        if (shortName is null)
        {
            return authorizationId;
        }
        string id = shortName;
        if (!removeHost && host is not null)
        {
            id += "/" + host;
        }
        if (!removeRealm && realm is not null)
        {
            id += "@" + realm;
        }
        return id;
    }

    /// <summary>SASLAuthenticationProvider.isValid: <c>new KerberosName(id)</c> does not throw.</summary>
    public static bool IsValid(string id) => Parse(id) is not null;

    private const string DefaultRealm = "";

    private static (string Service, string? Host, string? Realm)? Parse(string name)
    {
        var m = NameParser().Match(name);
        if (!m.Success)
        {
            return name.Contains('@', StringComparison.Ordinal) ? null : (name, null, null);
        }
        return (m.Groups[1].Value, m.Groups[2].Success ? m.Groups[3].Value : null, m.Groups[4].Value);
    }
}
