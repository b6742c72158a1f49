using System.Security.Cryptography;

namespace ZkGateway.Backend.Primitives;

/// <summary>
/// The owner of session leases: one gateway process, <c>&lt;gatewayId&gt;#&lt;incarnation&gt;</c>. The
/// incarnation is new at every start, so a gateway restarted under a configured id does not keep its
/// crashed predecessor's sessions alive with its own liveness ('#' never occurs in gateway ids).
/// </summary>
public static class LeaseOwner
{
    /// <summary>A fresh owner name for a gateway process that starts now.</summary>
    public static string NewIncarnation(string gatewayId) => gatewayId + "#" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));

    /// <summary>The gateway id in an owner name (its inbox and reply address); an owner without '#' is its own id.</summary>
    public static string GatewayIdOf(string owner)
    {
        int hash = owner.IndexOf('#', StringComparison.Ordinal);
        return hash < 0 ? owner : owner[..hash];
    }
}
