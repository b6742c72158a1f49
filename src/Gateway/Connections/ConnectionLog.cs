using Microsoft.Extensions.Logging;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.Gateway.Connections;

/// <summary>
/// The connection area's log messages (handshake, loops, request failures), with stable event ids.
/// A client's own mistakes are Information or Debug; a fault of ours is Error.
/// </summary>
internal static partial class ConnectionLog
{
    [LoggerMessage(1, LogLevel.Information, "Connection {ConnectionId}: malformed input, closing: {Reason}")]
    public static partial void MalformedInput(ILogger logger, string connectionId, string reason);

    [LoggerMessage(2, LogLevel.Information, "Refusing a client whose lastZxidSeen 0x{ClientZxid:x} is ahead of ours 0x{ServerZxid:x}")]
    public static partial void ClientAhead(ILogger logger, long clientZxid, long serverZxid);

    [LoggerMessage(3, LogLevel.Warning, "Too many connections from {Address} - max is {Limit}")]
    public static partial void TooManyConnections(ILogger logger, string address, int limit);

    [LoggerMessage(4, LogLevel.Error, "Session 0x{SessionId:x16}: {OpCode} (xid {Xid}) failed; answered SystemError")]
    public static partial void RequestFailed(ILogger logger, long sessionId, OpCode opCode, int xid, Exception exception);

    // Debug: the store logs the cause once; every refused request after it would repeat it.
    [LoggerMessage(11, LogLevel.Debug, "Session 0x{SessionId:x16}: {OpCode} (xid {Xid}) failed on storage ({Reason}); the connection is closed")]
    public static partial void NotDurable(ILogger logger, long sessionId, OpCode opCode, int xid, string reason);

    [LoggerMessage(5, LogLevel.Debug, "Session 0x{SessionId:x16}: {OpCode} (xid {Xid}) has an undecodable body; answered MarshallingError: {Reason}")]
    public static partial void MalformedBody(ILogger logger, long sessionId, OpCode opCode, int xid, string reason);

    [LoggerMessage(6, LogLevel.Debug, "Connection {ConnectionId}: the client went away or timed out ({Reason})")]
    public static partial void PeerGone(ILogger logger, string connectionId, string reason);

    [LoggerMessage(7, LogLevel.Error, "Connection {ConnectionId}: {Part} failed; the connection is closed")]
    public static partial void ConnectionFailed(ILogger logger, string connectionId, string part, Exception exception);

    [LoggerMessage(8, LogLevel.Warning, "Connection {ConnectionId}: requests still pending {Seconds} s after it closed; its watches are dropped anyway")]
    public static partial void PendingAfterClose(ILogger logger, string connectionId, int seconds);

    [LoggerMessage(9, LogLevel.Warning, "Connection {ConnectionId}: a client certificate ({Subject}) but no x509 auth provider is registered; closed (as ZooKeeper 3.8: AUTH_PROVIDER_NOT_FOUND)")]
    public static partial void NoX509Provider(ILogger logger, string connectionId, string subject);

    [LoggerMessage(10, LogLevel.Debug, "Connection {ConnectionId}: authenticated as {Scheme}:{Ident} by its client certificate")]
    public static partial void CertificateAuthenticated(ILogger logger, string connectionId, string scheme, string ident);
}
