using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Security;
using System.Text;

namespace ZkGateway.Gateway.Sasl;

/// <summary>
/// The server side of SASL GSSAPI (RFC 4752) over Kerberos, as Java's GssKrb5Server that 3.8.0's
/// ZooKeeperSaslServer creates: the client's tokens go to the GSS acceptor (.NET's
/// <see cref="NegotiateAuthentication"/>, package Kerberos: MIT libgssapi_krb5 on Linux, keys from the keytab
/// KRB5_KTNAME names) until the context is established; then the security-layer step: the server sends
/// wrapped [layers, max size] offering only "no security layer" (ZooKeeper uses none), the client answers
/// wrapped [chosen layer, size, authzid].
/// </summary>
public sealed class GssapiServer : ISaslServerMechanism
{
    private const byte NoSecurityLayer = 1;

    private readonly NegotiateAuthentication _context = new(new NegotiateAuthenticationServerOptions
    {
        Package = "Kerberos",
        // Integrity is what RFC 4752's wrapped security-layer messages need; no confidentiality is asked for.
        RequiredProtectionLevel = ProtectionLevel.Sign,
    });

    private Stage _stage = Stage.Context;

    private enum Stage
    {
        Context,
        OfferLayers,
        ChosenLayer,
        Done,
    }

    public bool IsComplete => _stage == Stage.Done;

    public string? AuthenticationId { get; private set; }

    public string? AuthorizationId { get; private set; }

    public byte[]? EvaluateResponse(ReadOnlySpan<byte> response)
    {
        switch (_stage)
        {
            case Stage.Context:
                byte[]? token = _context.GetOutgoingBlob(response, out var status);
                if (status == NegotiateAuthenticationStatusCode.ContinueNeeded)
                {
                    return token ?? [];
                }
                if (status != NegotiateAuthenticationStatusCode.Completed)
                {
                    throw new SaslFailedException($"GSS-API context not accepted: {status}");
                }
                AuthenticationId = _context.RemoteIdentity.Name;
                _stage = Stage.OfferLayers;
                // GssKrb5Server: the last context token (mutual authentication's AP-REP), or an empty one.
                return token ?? [];
            case Stage.OfferLayers:
                // The client's answer to the last context token carries nothing (RFC 4752 section 3.1).
                _stage = Stage.ChosenLayer;
                // Only "no security layer", so the largest message the server takes is 0.
                return Wrap([NoSecurityLayer, 0, 0, 0]);
            case Stage.ChosenLayer:
                byte[] chosen = Unwrap(response);
                if (chosen.Length < 4 || chosen[0] != NoSecurityLayer)
                {
                    throw new SaslFailedException("GSSAPI: the client chose no offered security layer");
                }
                string authzid = Encoding.UTF8.GetString(chosen.AsSpan(4));
                AuthorizationId = authzid.Length == 0 ? AuthenticationId : authzid;
                _stage = Stage.Done;
                _context.Dispose();
                return null;
            default:
                throw new SaslFailedException("GSSAPI: the exchange is already complete");
        }
    }

    public void Dispose() => _context.Dispose();

    private byte[] Wrap(ReadOnlySpan<byte> message)
    {
        var output = new ArrayBufferWriter<byte>();
        var status = _context.Wrap(message, output, requestEncryption: false, out _);
        if (status != NegotiateAuthenticationStatusCode.Completed)
        {
            throw new SaslFailedException($"GSSAPI: wrap failed: {status}");
        }
        return output.WrittenSpan.ToArray();
    }

    private byte[] Unwrap(ReadOnlySpan<byte> message)
    {
        var output = new ArrayBufferWriter<byte>();
        var status = _context.Unwrap(message, output, out _);
        if (status != NegotiateAuthenticationStatusCode.Completed)
        {
            throw new SaslFailedException($"GSSAPI: unwrap failed: {status}");
        }
        return output.WrittenSpan.ToArray();
    }
}
