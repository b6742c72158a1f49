using ZkGateway.Gateway.Hosting;

namespace ZkGateway.Gateway.Sasl;

/// <summary>
/// The Kerberos side of a Krb5LoginModule server section (its <c>keyTab</c>, <c>principal</c> and
/// <c>isInitiator</c> options), applied as the gateway starts, before it listens, where 3.8.0's
/// ServerCnxnFactory.configureSaslLogin logs in: the acceptor gets the principal's keys only, and an initiator
/// gets its ticket from the KDC or the gateway does not start.
/// </summary>
/// <param name="Keytab">The JAAS <c>keyTab</c> file.</param>
/// <param name="Principal">The JAAS <c>principal</c>; null or <c>*</c>: any key of the keytab (Krb5LoginModule's acceptor wildcard).</param>
/// <param name="Initiator">Krb5LoginModule's <c>isInitiator</c> (default true): log in at start-up.</param>
public sealed record KerberosService(string Keytab, string? Principal, bool Initiator)
{
    /// <exception cref="GatewayConfigurationException">The keytab cannot be read, or the KDC refused the login.</exception>
    public void Start()
    {
        try
        {
            // An operator's own KRB5_KTNAME wins, as before: then the acceptor uses it as it is.
            if (!KerberosEnvironment.KeytabPreset)
            {
                KerberosEnvironment.UseKeytab(Principal is null or "*" ? Keytab : AcceptorKeytab.Restrict(Keytab, Principal));
            }
            if (Initiator && Principal is not null && KerberosServiceLogin.Refusal(Principal, Keytab) is { } refusal)
            {
                throw Refused(refusal);
            }
        }
        catch (DllNotFoundException e)
        {
            throw Refused($"{Krb5Native.Library} is not installed ({e.Message})");
        }
        catch (InvalidOperationException e)
        {
            throw Refused(e.Message);
        }
    }

    // 3.8.0's words (with its double space), then the Kerberos library's reason.
    private GatewayConfigurationException Refused(string reason) => new(
        $"Could not configure server because SASL configuration did not allow the  ZooKeeper server to authenticate itself properly: {Principal} from {Keytab}: {reason}");
}
