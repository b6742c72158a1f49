using Microsoft.Extensions.Logging;
using ZkGateway.Backend;
using ZkGateway.Gateway.Connections;
using ZkGateway.Jute.Data;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.Gateway.Sasl;

/// <summary>
/// Op 102 (sasl) and enforce.auth as 3.8.0's ZooKeeperServer.processSasl and AuthenticationHelper do
/// them. A connection's first sasl token starts its DIGEST-MD5 exchange (<see cref="DigestMd5Server"/>,
/// service <c>zookeeper</c>, server name and realm <c>zk-sasl-md5</c>, as ZooKeeperSaslServer creates
/// it); on success the connection gets <c>sasl:&lt;authorization id&gt;</c> (and <c>super:</c> first for a
/// <c>zookeeper.superUser</c>). A failed exchange is answered AuthFailed, or SessionClosedRequireSaslAuth
/// when SASL is required, with a null token, and the connection is closed, unless
/// <c>zookeeper.allowSaslFailedClients</c> keeps it (then: Ok and a null token).
/// </summary>
public sealed class SaslAuthenticator(SaslSettings settings, ILogger logger)
{
    /// <summary>ZooKeeperSaslServer's protocol and server name for DIGEST-MD5.</summary>
    public const string Protocol = "zookeeper";
    public const string ServerName = "zk-sasl-md5";

    /// <summary>The reply to one sasl request.</summary>
    public readonly record struct Reply(ErrorCode Error, byte[]? Token, bool Close);

    public SaslSettings Settings => settings;

    /// <summary>Evaluates <paramref name="token"/> (the GetSASLRequest's) on <paramref name="connection"/>'s exchange.</summary>
    public Reply Evaluate(ZkConnection connection, byte[]? token)
    {
        ArgumentNullException.ThrowIfNull(connection);
        // No JAAS server section, or a null token: 3.8.0 hits a NullPointerException, which it
        // catches, and answers Ok with a null token.
        if (!settings.Configured || token is null)
        {
            return new Reply(ErrorCode.Ok, null, false);
        }
        var exchange = connection.SaslExchange ??= settings.Gssapi
            ? new GssapiServer()
            : new DigestMd5Server(Protocol, ServerName, settings.PasswordOf);
        try
        {
            byte[]? response = exchange.EvaluateResponse(token);
            if (exchange.IsComplete)
            {
                string id = KerberosNames.AuthorizedId(exchange.AuthenticationId!, exchange.AuthorizationId!, settings.RemoveHostFromPrincipal, settings.RemoveRealmFromPrincipal);
                SaslLog.Authenticated(logger, connection.SessionId, id);
                connection.AddAuth(new Id("sasl", id));
                if (settings.SuperUsers.Contains(id))
                {
                    connection.AddAuth(new Id("super", ""));
                }
            }
            return new Reply(ErrorCode.Ok, response, false);
        }
        catch (SaslFailedException e)
        {
            exchange.Dispose();
            SaslLog.Failed(logger, connection.SessionId, connection.RemoteEndPoint?.ToString() ?? "?", e.Message);
            if (settings.AllowSaslFailedClients && !settings.SaslRequired)
            {
                return new Reply(ErrorCode.Ok, null, false);
            }
            return new Reply(settings.SaslRequired ? ErrorCode.SessionClosedRequireSaslAuth : ErrorCode.AuthFailed, null, true);
        }
    }

    /// <summary>
    /// AuthenticationHelper.enforceAuthentication: with enforce.auth on, a request other than auth and
    /// sasl from a connection that holds none of the schemes is refused (SessionClosedRequireSaslAuth,
    /// then the connection is closed).
    /// </summary>
    public bool Refuses(CallerIdentity caller, OpCode op) =>
        settings.EnforceAuth && op is not (OpCode.Auth or OpCode.Sasl)
        && !caller.Ids.Any(id => settings.EnforceAuthSchemes.Contains(id.Scheme));
}

internal static partial class SaslLog
{
    [LoggerMessage(EventId = 1201, Level = LogLevel.Information, Message = "Session 0x{SessionId:x}: adding SASL authorization for authorizationID: {Id}")]
    public static partial void Authenticated(ILogger logger, long sessionId, string id);

    [LoggerMessage(EventId = 1202, Level = LogLevel.Warning, Message = "Session 0x{SessionId:x}: client {Remote} failed to SASL authenticate: {Reason}")]
    public static partial void Failed(ILogger logger, long sessionId, string remote, string reason);
}
