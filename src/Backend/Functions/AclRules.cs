using ZkGateway.Jute.Data;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.Backend.Functions;

/// <summary>
/// ZooKeeper's ACL rules as far as this release enforces them: sessions carry no authenticated ids
/// yet (addauth comes with the ACL work), so a permission is granted by a <c>world:anyone</c> entry.
/// </summary>
public static class AclRules
{
    /// <summary>Whether an unauthenticated session holds <paramref name="perm"/> on a node with this ACL.</summary>
    public static bool Allows(IReadOnlyList<Acl> acl, Perms perm)
    {
        foreach (var entry in acl)
        {
            if ((entry.Perms & perm) != 0 && entry.Id.Scheme == "world" && entry.Id.Ident == "anyone")
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// PrepRequestProcessor.fixupACL for a session without authenticated ids: an empty list, an unknown
    /// scheme, a malformed id, or <c>auth</c> (nothing to expand it to) is InvalidACL. Duplicates are removed.
    /// </summary>
    public static IReadOnlyList<Acl>? Validate(IReadOnlyList<Acl>? acl)
    {
        if (acl is null || acl.Count == 0)
        {
            return null;
        }
        var result = new List<Acl>(acl.Count);
        foreach (var entry in acl)
        {
            bool valid = entry.Id.Scheme switch
            {
                "world" => entry.Id.Ident == "anyone",
                "digest" => entry.Id.Ident.Split(':').Length == 2,
                "ip" => IsValidIp(entry.Id.Ident),
                _ => false,
            };
            if (!valid)
            {
                return null;
            }
            if (!result.Contains(entry))
            {
                result.Add(entry);
            }
        }
        return result;
    }

    private static bool IsValidIp(string id)
    {
        string[] parts = id.Split('/');
        if (parts.Length > 2 || !System.Net.IPAddress.TryParse(parts[0], out var address))
        {
            return false;
        }
        int maxBits = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? 128 : 32;
        return parts.Length == 1 || (int.TryParse(parts[1], out int bits) && bits >= 0 && bits <= maxBits);
    }
}
