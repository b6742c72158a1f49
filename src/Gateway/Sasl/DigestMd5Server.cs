using System.Security.Cryptography;
using System.Text;

namespace ZkGateway.Gateway.Sasl;

/// <summary>A SASL exchange that failed; the message says why (it is logged, never sent).</summary>
public sealed class SaslFailedException(string message) : Exception(message);

/// <summary>
/// The server side of DIGEST-MD5 (RFC 2831) for one connection, as Java's DigestMD5Server answers the
/// ZooKeeper client: the first (empty) token gets a challenge <c>realm="&lt;server name&gt;",nonce=...,
/// charset=utf-8,algorithm=md5-sess</c> (no qop directive: Java leaves it out when it offers only auth,
/// RFC 2831's default); the client's digest-response is checked (nonce, nc
/// 00000001, qop, realm, digest-uri <c>&lt;protocol&gt;/&lt;server name&gt;</c>, the response value) and
/// answered with <c>rspauth=...</c>, which completes the exchange. Only qop=auth is offered, as 3.8.0's
/// server offers it (ZooKeeper passes no <c>javax.security.sasl.qop</c> property): no integrity or
/// confidentiality layer.
/// </summary>
public sealed class DigestMd5Server : ISaslServerMechanism
{
    private readonly string _protocol;
    private readonly string _serverName;
    private readonly Func<string, string?> _passwordOf;
    private readonly string _nonce;
    private int _step;

    /// <param name="protocol">The service: <c>zookeeper</c>.</param>
    /// <param name="serverName">The server name and the realm offered: <c>zk-sasl-md5</c>.</param>
    /// <param name="passwordOf">A user's password, or null when the user is unknown.</param>
    /// <param name="nonce">The nonce to send (tests); by default 30 random bytes in base64 (40 characters), as Java's.</param>
    public DigestMd5Server(string protocol, string serverName, Func<string, string?> passwordOf, string? nonce = null)
    {
        _protocol = protocol;
        _serverName = serverName;
        _passwordOf = passwordOf;
        _nonce = nonce ?? Convert.ToBase64String(RandomNumberGenerator.GetBytes(30));
    }

    /// <summary>Whether the client is authenticated (the last token was answered with rspauth).</summary>
    public bool IsComplete { get; private set; }

    /// <summary>The user name the client authenticated as (the digest-response's <c>username</c>).</summary>
    public string? AuthenticationId { get; private set; }

    /// <summary>The client's <c>authzid</c>, or the user name when it sent none.</summary>
    public string? AuthorizationId { get; private set; }

    /// <summary>The next server token for the client's <paramref name="response"/>.</summary>
    /// <exception cref="SaslFailedException">The response is malformed or its credentials are wrong.</exception>
    public byte[] EvaluateResponse(ReadOnlySpan<byte> response)
    {
        switch (_step++)
        {
            case 0:
                if (!response.IsEmpty)
                {
                    throw new SaslFailedException("DIGEST-MD5 must not have an initial response");
                }
                return Encoding.UTF8.GetBytes($"realm=\"{_serverName}\",nonce=\"{_nonce}\",charset=utf-8,algorithm=md5-sess");
            case 1:
                var token = Validate(DigestDirectives.Parse(Encoding.UTF8.GetString(response)));
                IsComplete = true;
                return token;
            default:
                throw new SaslFailedException("DIGEST-MD5 authentication already completed");
        }
    }

    private byte[] Validate(IReadOnlyDictionary<string, string> d)
    {
        string Required(string name) => d.TryGetValue(name, out var v) ? v : throw new SaslFailedException($"DIGEST-MD5: digest response format violation: missing {name}");
        if (d.TryGetValue("charset", out var charset) && !charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase))
        {
            throw new SaslFailedException($"DIGEST-MD5: digest response format violation: unrecognised charset {charset}");
        }
        string username = Required("username");
        string nonce = Required("nonce");
        string cnonce = Required("cnonce");
        string nc = Required("nc");
        string responseValue = Required("response");
        string qop = d.GetValueOrDefault("qop", "auth");
        string realm = d.GetValueOrDefault("realm", "");
        string digestUri = Required("digest-uri");
        if (nonce != _nonce)
        {
            throw new SaslFailedException("DIGEST-MD5: digest response format violation: nonce mismatch");
        }
        if (nc != "00000001")
        {
            throw new SaslFailedException($"DIGEST-MD5: nonce count {nc} does not match");
        }
        if (qop != "auth")
        {
            throw new SaslFailedException($"DIGEST-MD5: client selected qop {qop}, only auth is offered");
        }
        if (realm.Length > 0 && realm != _serverName)
        {
            throw new SaslFailedException($"DIGEST-MD5: digest response format violation: nonexistent realm {realm}");
        }
        string expectedUri = _protocol + "/" + _serverName;
        if (!digestUri.Equals(expectedUri, StringComparison.OrdinalIgnoreCase))
        {
            throw new SaslFailedException($"DIGEST-MD5: digest response format violation: mismatched URI {digestUri}, expected {expectedUri}");
        }
        string? password = _passwordOf(username) ?? throw new SaslFailedException($"DIGEST-MD5: cannot acquire password for {username} in realm {realm}");
        d.TryGetValue("authzid", out var authzid);

        byte[] ha1 = SessionKey(username, realm, password, nonce, cnonce, authzid);
        string expected = ResponseValue(ha1, nonce, nc, cnonce, qop, "AUTHENTICATE:" + digestUri);
        if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(responseValue.ToLowerInvariant())))
        {
            throw new SaslFailedException("DIGEST-MD5: digest response format violation: mismatched response");
        }
        AuthenticationId = username;
        AuthorizationId = string.IsNullOrEmpty(authzid) ? username : authzid;
        return Encoding.ASCII.GetBytes("rspauth=" + ResponseValue(ha1, nonce, nc, cnonce, qop, ":" + digestUri));
    }

    /// <summary>
    /// RFC 2831 2.1.2.1's A1 for md5-sess: H(user ":" realm ":" password) ":" nonce ":" cnonce [":" authzid],
    /// with user, realm and password in ISO 8859-1 when they fit (charset=utf-8), else UTF-8.
    /// </summary>
    private static byte[] SessionKey(string username, string realm, string password, string nonce, string cnonce, string? authzid)
    {
        byte[] secret = MD5.HashData([.. Latin1OrUtf8(username), (byte)':', .. Latin1OrUtf8(realm), (byte)':', .. Latin1OrUtf8(password)]);
        var a1 = new List<byte>(secret);
        a1.AddRange(Encoding.UTF8.GetBytes(":" + nonce + ":" + cnonce));
        if (!string.IsNullOrEmpty(authzid))
        {
            a1.AddRange(Encoding.UTF8.GetBytes(":" + authzid));
        }
        return Encoding.ASCII.GetBytes(Hex(MD5.HashData([.. a1])));
    }

    /// <summary>HEX(KD(HEX(H(A1)), nonce ":" nc ":" cnonce ":" qop ":" HEX(H(A2)))).</summary>
    private static string ResponseValue(byte[] hexA1, string nonce, string nc, string cnonce, string qop, string a2)
    {
        string hexA2 = Hex(MD5.HashData(Encoding.UTF8.GetBytes(a2)));
        byte[] kd = [.. hexA1, .. Encoding.UTF8.GetBytes($":{nonce}:{nc}:{cnonce}:{qop}:{hexA2}")];
        return Hex(MD5.HashData(kd));
    }

    private static byte[] Latin1OrUtf8(string s) => s.All(c => c <= '\u00ff') ? Encoding.Latin1.GetBytes(s) : Encoding.UTF8.GetBytes(s);

    private static string Hex(byte[] bytes) => Convert.ToHexStringLower(bytes);

    /// <summary>Nothing to release: the exchange holds only strings.</summary>
    public void Dispose()
    {
    }
}
