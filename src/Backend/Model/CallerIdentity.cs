using ZkGateway.Jute.Data;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.Backend;

/// <summary>
/// Who a request is made by: the authenticated ids its connection holds (ZooKeeper's authInfo), such as
/// <c>ip:127.0.0.1</c>, <c>digest:user:hash</c> and <c>super:</c>. ACL checks and the <c>auth</c> scheme use them.
/// </summary>
public sealed record CallerIdentity(IReadOnlyList<Id> Ids)
{
    /// <summary>No authenticated ids at all (only <c>world:anyone</c> entries grant anything).</summary>
    public static readonly CallerIdentity Anonymous = new([]);

    /// <summary>The super id bypasses every ACL check.</summary>
    public bool IsSuper => Ids.Any(i => i.Scheme == "super");

    /// <summary>
    /// The identity with one more id (none if already held), in the order ZooKeeper 3.8 iterates a
    /// connection's ids: its authInfo is a set over a ConcurrentHashMap, so whoAmI and the expansion
    /// of the <c>auth</c> scheme list ids by hash bin (Id.hashCode spread over the table), ties in
    /// insertion order. Checked against 3.8.0: ip 127.0.0.1 then alice then bob lists alice, ip, bob.
    /// </summary>
    public CallerIdentity With(Id id)
    {
        if (Ids.Contains(id))
        {
            return this;
        }
        int count = Ids.Count + 1;
        int table = 16;
        while (count >= table * 3 / 4)
        {
            table *= 2;
        }
        return new CallerIdentity([.. Ids.Append(id).OrderBy(i => Spread(JavaHash(i)) & (table - 1))]);
    }

    /// <summary>The jute-generated Id.hashCode: 37 * (37 * 17 + scheme.hashCode()) + id.hashCode().</summary>
    private static int JavaHash(Id id) => unchecked((37 * ((37 * 17) + JavaHash(id.Scheme ?? ""))) + JavaHash(id.Ident ?? ""));

    /// <summary>java.lang.String.hashCode over UTF-16 code units.</summary>
    private static int JavaHash(string value)
    {
        int h = 0;
        foreach (char c in value)
        {
            h = unchecked((31 * h) + c);
        }
        return h;
    }

    /// <summary>ConcurrentHashMap.spread.</summary>
    private static int Spread(int h) => (h ^ (int)((uint)h >> 16)) & 0x7fffffff;
}
