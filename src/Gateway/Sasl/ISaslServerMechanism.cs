namespace ZkGateway.Gateway.Sasl;

/// <summary>One connection's server side of a SASL mechanism (DIGEST-MD5 or GSSAPI), as javax.security.sasl.SaslServer.</summary>
public interface ISaslServerMechanism : IDisposable
{
    /// <summary>Whether the client is authenticated.</summary>
    bool IsComplete { get; }

    /// <summary>Who the client proved to be (a user name, or a Kerberos principal).</summary>
    string? AuthenticationId { get; }

    /// <summary>The identity the client asked to act as, or <see cref="AuthenticationId"/> when it asked for none.</summary>
    string? AuthorizationId { get; }

    /// <summary>The next server token (null: none, at the end of GSSAPI) for the client's <paramref name="response"/>.</summary>
    /// <exception cref="SaslFailedException">The response is malformed or its credentials are wrong.</exception>
    byte[]? EvaluateResponse(ReadOnlySpan<byte> response);
}
