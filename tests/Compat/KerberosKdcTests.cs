using ZkGateway.Compat.Infrastructure;

namespace ZkGateway.Compat;

/// <summary>The private KDC the GSSAPI scenarios rely on: it issues tickets to keytabs it made, and refuses a stale one.</summary>
public sealed class KerberosKdcTests
{
    [Fact]
    public async Task The_kdc_issues_a_ticket_for_a_current_keytab_and_refuses_a_stale_one()
    {
        await using var kdc = await KerberosKdc.StartAsync();

        var alice = await kdc.KinitAsync("alice@" + KerberosKdc.Realm, kdc.Keytab("alice"));
        Assert.True(alice.ExitCode == 0, alice.Output);

        var service = await kdc.KinitAsync(KerberosKdc.ServicePrincipal, kdc.Keytab("server"));
        Assert.True(service.ExitCode == 0, service.Output);

        // mallory's key was changed after stale.keytab was written: the KDC no longer accepts it.
        var stale = await kdc.KinitAsync("mallory@" + KerberosKdc.Realm, kdc.Keytab("stale"));
        Assert.NotEqual(0, stale.ExitCode);
        Assert.Contains("Password incorrect", stale.Output); // MIT 1.20 words a failed pre-authentication so

        var unknown = await kdc.KinitAsync("eve@" + KerberosKdc.Realm, kdc.Keytab("eve"));
        Assert.NotEqual(0, unknown.ExitCode);
        Assert.Contains("not found in Kerberos database", unknown.Output);

        // The rotated service's keytab is one key version behind the KDC's.
        var rotated = await kdc.KinitAsync(KerberosKdc.RotatedServicePrincipal, kdc.Keytab("rotated"));
        Assert.NotEqual(0, rotated.ExitCode);
    }
}
