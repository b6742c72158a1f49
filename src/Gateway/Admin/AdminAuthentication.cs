using ZkGateway.Jute.Protocol;
using ZkGateway.Backend;
using ZkGateway.Backend.Functions;
using ZkGateway.Gateway.Hosting;
using ZkGateway.Jute.Data;

namespace ZkGateway.Gateway.Admin;

/// <summary>
/// The AdminServer's authentication and authorization for the commands that need them (3.9's
/// Commands.handleAuthentication / handleAuthorization, which 3.8 has no command for): the
/// <c>Authorization</c> header is <c>&lt;scheme&gt; &lt;auth data&gt;</c>, the scheme's provider turns it
/// into ids, and the ids must hold every permission bit asked for on the node's ACL.
/// </summary>
internal static class AdminAuthentication
{
    private static readonly CallerIdentity Server = new([new Id("super", "")]);

    /// <summary>The outcome: null when allowed, else the HTTP status and error 3.9 answers with.</summary>
    public static async Task<(int Status, string Error)?> CheckAsync(string? authorization, IZkBackend backend, GatewayOptions options, Perms perms, string path, CancellationToken cancellationToken)
    {
        if (authorization is null)
        {
            return (401, "Auth info is missing for the command");
        }
        var ids = Authenticate(authorization, options);
        if (ids is null)
        {
            return (401, "Not authenticated");
        }
        // Read as the server reads it (super): an unprivileged getACL would show digests masked.
        var acl = await backend.GetAclAsync(path, Server, cancellationToken).ConfigureAwait(false);
        if (acl.Value is null)
        {
            return (500, "Error occurred during auth");
        }
        var caller = new CallerIdentity(ids);
        // Each bit on its own, as 3.9 checks them: holding one of them is not enough.
        foreach (Perms bit in Enum.GetValues<Perms>().Where(b => b != Perms.None && b != Perms.All && (perms & b) == b))
        {
            if (!AclRules.Allows(acl.Value.Acl, bit, caller))
            {
                return (403, "Not authorized");
            }
        }
        return null;
    }

    /// <summary>
    /// The ids the header proves, or null (3.9: AuthFailed) for a scheme without a provider or an
    /// empty id list. digest is the one scheme a plain HTTP request can prove here: x509 needs the
    /// AdminServer on TLS, which this gateway's AdminServer does not serve.
    /// </summary>
    private static IReadOnlyList<Id>? Authenticate(string authorization, GatewayOptions options)
    {
        int space = authorization.IndexOf(' ', StringComparison.Ordinal);
        string scheme = space < 0 ? authorization : authorization[..space];
        string? data = space < 0 ? null : authorization[(space + 1)..];
        if (scheme != "digest" || data is null)
        {
            return null;
        }
        string digest = AclRules.Digest(data);
        var ids = new List<Id>();
        if (options.Raw.TryGetValue(ZooCfg.Keys.SuperDigest, out var superDigest) && superDigest == digest)
        {
            ids.Add(new Id("super", ""));
        }
        ids.Add(new Id("digest", digest));
        return ids;
    }
}
