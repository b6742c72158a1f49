using System.Net;
using System.Security.Cryptography;
using System.Text;
using ZkGateway.Jute.Data;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.Backend.Functions;

/// <summary>
/// ZooKeeper's ACL rules: ZooKeeperServer.checkACL (does a caller hold a permission on a node) and
/// PrepRequestProcessor.fixupACL (validate and expand the ACL of a create or setACL), with the
/// schemes ZooKeeper registers by default: world, auth (expanded), digest and ip, and x509 (ids from
/// TLS client certificates) and sasl (ids from SASL; both registered by 3.8.0 only through authProvider.*,
/// here always: the functions do not see the gateway's configuration). A caller holding
/// <c>super</c> passes every check.
/// </summary>
public static class AclRules
{
    /// <summary>
    /// checkACL: whether <paramref name="caller"/> holds any of the bits of <paramref name="perm"/>.
    /// An empty ACL allows everything (as in ZooKeeper).
    /// </summary>
    public static bool Allows(IReadOnlyList<Acl> acl, Perms perm, CallerIdentity caller)
    {
        if (acl.Count == 0 || caller.IsSuper)
        {
            return true;
        }
        foreach (var entry in acl)
        {
            if ((entry.Perms & perm) == 0)
            {
                continue;
            }
            var id = entry.Id;
            if (id.Scheme == "world" && id.Ident == "anyone")
            {
                return true;
            }
            foreach (var held in caller.Ids)
            {
                if (held.Scheme != id.Scheme)
                {
                    continue;
                }
                bool matches = id.Scheme switch
                {
                    "ip" => IpMatches(held.Ident, id.Ident),
                    // SASLAuthenticationProvider.matches: a sasl id "super" matches every sasl entry.
                    "sasl" => held.Ident == "super" || held.Ident == id.Ident,
                    _ => held.Ident == id.Ident,
                };
                if (matches)
                {
                    return true;
                }
            }
        }
        return false;
    }

    /// <summary>
    /// fixupACL: duplicates removed first; an empty list is InvalidACL; <c>world:anyone</c> kept;
    /// <c>auth</c> expands to every authenticated non-ip id of the caller (super is not a registered
    /// provider, so it is skipped) and is InvalidACL if there is none; digest ids must be
    /// <c>user:hash</c>, ip ids <c>addr[/bits]</c>; any other scheme is InvalidACL. Null means InvalidACL.
    /// </summary>
    public static IReadOnlyList<Acl>? Fixup(IReadOnlyList<Acl>? acl, CallerIdentity caller)
    {
        if (acl is null)
        {
            return null;
        }
        var unique = new List<Acl>(acl.Count);
        foreach (var entry in acl)
        {
            if (!unique.Contains(entry))
            {
                unique.Add(entry);
            }
        }
        if (unique.Count == 0)
        {
            return null;
        }
        var result = new List<Acl>(unique.Count);
        foreach (var entry in unique)
        {
            var id = entry.Id;
            if (id.Scheme == "world" && id.Ident == "anyone")
            {
                result.Add(entry);
            }
            else if (id.Scheme == "auth")
            {
                bool any = false;
                foreach (var held in caller.Ids)
                {
                    // Every id whose provider isAuthenticated: digest, x509 and sasl (ip is not; super has no provider).
                    if (held.Scheme is "digest" or "x509" or "sasl")
                    {
                        any = true;
                        result.Add(new Acl(entry.Perms, held));
                    }
                }
                if (!any)
                {
                    return null;
                }
            }
            else
            {
                bool valid = id.Scheme switch
                {
                    "digest" => JavaSplit(id.Ident ?? "", ':').Length == 2,
                    "ip" => IsValidIp(id.Ident ?? ""),
                    "x509" => IsValidX500Name(id.Ident ?? ""),
                    "sasl" => IsValidKerberosName(id.Ident ?? ""),
                    _ => false,
                };
                if (!valid)
                {
                    return null;
                }
                result.Add(entry);
            }
        }
        return Canonical(result);
    }

    /// <summary>
    /// The list a node keeps: the one nearly every node has, OPEN_ACL_UNSAFE (or READ_ACL_UNSAFE), is
    /// the shared instance rather than a list, an array and two strings per node (about 150 bytes of
    /// a znode at a million of them: issue 14); any other list is kept as a right-sized array.
    /// </summary>
    private static IReadOnlyList<Acl> Canonical(List<Acl> acl) =>
        acl.Count != 1 ? acl.ToArray()
        : acl[0] == Acl.OpenAclUnsafe[0] ? Acl.OpenAclUnsafe
        : acl[0] == Acl.ReadAclUnsafe[0] ? Acl.ReadAclUnsafe
        : acl.ToArray();

    /// <summary>
    /// X509AuthenticationProvider.isValid: <c>new X500Principal(id)</c> parses. Here: .NET parses it as a
    /// distinguished name (close to Java's RFC 1779/2253 parser; both accept the empty name).
    /// </summary>
    private static bool IsValidX500Name(string dn)
    {
        try
        {
            _ = new System.Security.Cryptography.X509Certificates.X500DistinguishedName(dn);
            return true;
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            return false;
        }
    }

    /// <summary>
    /// SASLAuthenticationProvider.isValid: <c>new KerberosName(id)</c> does not throw, i.e. a name without
    /// '@', or one of the form <c>service[/host]@realm</c> with no further '/' or '@'.
    /// </summary>
    private static bool IsValidKerberosName(string id)
    {
        int at = id.IndexOf('@', StringComparison.Ordinal);
        if (at < 0)
        {
            return true;
        }
        string principal = id[..at], realm = id[(at + 1)..];
        return realm.IndexOfAny(['/', '@']) < 0 && principal.Count(c => c == '/') <= 1;
    }

    /// <summary>DigestAuthenticationProvider.generateDigest: <c>user:BASE64(SHA1("user:password"))</c>.</summary>
    public static string Digest(string userAndPassword)
    {
        int colon = userAndPassword.IndexOf(':', StringComparison.Ordinal);
        string user = colon < 0 ? userAndPassword : userAndPassword[..colon];
        byte[] hash = SHA1.HashData(Encoding.UTF8.GetBytes(userAndPassword));
        return user + ":" + Convert.ToBase64String(hash);
    }

    /// <summary>The masked form getACL shows a caller without ADMIN: a digest id's hash replaced by "x".</summary>
    public static IReadOnlyList<Acl> MaskDigests(IReadOnlyList<Acl> acl)
    {
        var result = new List<Acl>(acl.Count);
        foreach (var entry in acl)
        {
            if (entry.Id.Scheme == "digest")
            {
                // Java: id.replaceAll(":.*", ":x"), from the first colon.
                string ident = entry.Id.Ident ?? "";
                int colon = ident.IndexOf(':', StringComparison.Ordinal);
                result.Add(new Acl(entry.Perms, new Id(entry.Id.Scheme, colon < 0 ? ident : ident[..colon] + ":x")));
            }
            else
            {
                result.Add(entry);
            }
        }
        return result;
    }

    /// <summary>Java's <c>String.split</c> (trailing empty strings dropped).</summary>
    private static string[] JavaSplit(string value, char separator)
    {
        var parts = value.Split(separator).ToList();
        while (parts.Count > 1 && parts[^1].Length == 0)
        {
            parts.RemoveAt(parts.Count - 1);
        }
        if (parts.Count == 1 && parts[0].Length == 0 && value.Length > 0)
        {
            parts.Clear();
        }
        return [.. parts];
    }

    private static bool IsValidIp(string id)
    {
        string[] parts = id.Split('/', 2);
        if (!TryParseAddress(parts[0], out var address))
        {
            return false;
        }
        int maxBits = address.GetAddressBytes().Length * 8;
        return parts.Length == 1 || (int.TryParse(parts[1], System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out int bits) && bits >= 0 && bits <= maxBits);
    }

    /// <summary>IPAuthenticationProvider.matches: the client address against <c>addr[/bits]</c>.</summary>
    private static bool IpMatches(string clientAddress, string aclExpression)
    {
        string[] parts = aclExpression.Split('/', 2);
        if (!TryParseAddress(parts[0], out var aclAddress) || !TryParseAddress(clientAddress, out var client))
        {
            return false;
        }
        byte[] aclBytes = aclAddress.GetAddressBytes();
        byte[] clientBytes = client.GetAddressBytes();
        if (aclBytes.Length != clientBytes.Length)
        {
            return false;
        }
        int bits = aclBytes.Length * 8;
        if (parts.Length == 2 && (!int.TryParse(parts[1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out bits) || bits > aclBytes.Length * 8))
        {
            return false;
        }
        for (int i = 0; i < aclBytes.Length && bits > 0; i++, bits -= 8)
        {
            int mask = bits >= 8 ? 0xFF : (0xFF << (8 - bits)) & 0xFF;
            if ((aclBytes[i] & mask) != (clientBytes[i] & mask))
            {
                return false;
            }
        }
        return true;
    }

    private static bool TryParseAddress(string text, out IPAddress address)
    {
        if (IPAddress.TryParse(text, out var parsed))
        {
            address = parsed.IsIPv4MappedToIPv6 ? parsed.MapToIPv4() : parsed;
            return true;
        }
        address = IPAddress.None;
        return false;
    }
}
