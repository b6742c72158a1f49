using ZkGateway.Backend;
using ZkGateway.Backend.Functions;
using ZkGateway.Gateway.Connections;
using ZkGateway.Gateway.Hosting;
using ZkGateway.Jute;
using ZkGateway.Jute.Data;
using ZkGateway.Jute.Proto;

namespace ZkGateway.Gateway.Dispatch;

/// <summary>
/// addauth and whoAmI as a 3.8.0 server with its default providers answers them: the digest scheme
/// (DigestAuthenticationProvider), with the super user when the configured
/// <c>zookeeper.DigestAuthenticationProvider.superDigest</c> matches. The ids belong to the connection.
/// </summary>
internal sealed class DigestAuth
{
    private readonly string? _superDigest;

    public DigestAuth(GatewayOptions options) =>
        _superDigest = options.Raw.TryGetValue(ZooCfg.Keys.SuperDigest, out var superDigest) ? superDigest : null;

    /// <summary>
    /// addauth. digest never fails on a password (a wrong one simply matches nothing) and adds super
    /// first when the digest is the super digest, then the digest id itself (handleAuthentication's
    /// order); without data it fails, as 3.8.0's provider throws on the null buffer. ip adds the
    /// connection's own address, which it already holds (IPAuthenticationProvider), and succeeds.
    /// False for any other scheme or failure: the caller answers AuthFailed and closes.
    /// </summary>
    public bool TryAuthenticate(ZkConnection connection, AuthPacket request)
    {
        if (request.Scheme == "ip")
        {
            return true;
        }
        if (request.Scheme != "digest" || request.Auth is null)
        {
            return false;
        }
        // 3.8.0 decodes the id as Java does (new String(authData)): the same replacement of malformed bytes.
        string digest = AclRules.Digest(JavaUtf8.Decode(request.Auth ?? []));
        if (_superDigest is not null && _superDigest == digest)
        {
            connection.AddAuth(new Id("super", ""));
        }
        connection.AddAuth(new Id("digest", digest));
        return true;
    }

    /// <summary>
    /// AuthUtil.getClientInfos: one entry per id in the connection's order; the user is the scheme's
    /// provider's getUserName: digest shows the user name, ip and x509 the id, and super (no provider)
    /// an empty string, also for the x509 super user's <c>super:&lt;DN&gt;</c>. sasl shows the id when
    /// SASLAuthenticationProvider is registered, else (no provider) an empty string.
    /// </summary>
    public static WhoAmIResponse WhoAmI(CallerIdentity caller, bool saslProvider) =>
        new([.. caller.Ids.Select(id => new ClientInfo(id.Scheme, id.Scheme switch
        {
            "digest" => id.Ident.Split(':')[0],
            "ip" or "x509" => id.Ident,
            "sasl" when saslProvider => id.Ident,
            _ => "",
        }))]);
}
