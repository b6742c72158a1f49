using System.Runtime.InteropServices;
using static ZkGateway.Gateway.Sasl.Krb5Native;

namespace ZkGateway.Gateway.Sasl;

/// <summary>
/// The login 3.8.0's server does at start-up with a Krb5LoginModule section (isInitiator, its default): the
/// module asks the KDC for the service principal's ticket-granting ticket with the keytab's key, and when the
/// KDC refuses (a keytab older than the principal's key, a principal the KDC does not know, no KDC)
/// ServerCnxnFactory.configureSaslLogin fails and the server does not start. The gateway asks the same
/// question (krb5_get_init_creds_keytab); the ticket is dropped, as the acceptor needs only the keytab.
/// </summary>
internal static class KerberosServiceLogin
{
    // krb5_creds is about 150 bytes on LP64; the library fills it, and only krb5_free_cred_contents reads it back.
    private const int CredsBufferSize = 1024;

    /// <summary>Null when the KDC issued the principal's ticket, else the library's reason.</summary>
    public static string? Refusal(string principal, string keytab)
    {
        int init = InitContext(out var context);
        if (init != 0)
        {
            return $"krb5_init_context failed ({init})";
        }
        IntPtr client = IntPtr.Zero, keys = IntPtr.Zero, creds = IntPtr.Zero;
        try
        {
            int code = ParseName(context, CString(principal), out client);
            if (code == 0)
            {
                code = ResolveKeytab(context, CString("FILE:" + keytab), out keys);
            }
            if (code == 0)
            {
                creds = AllocZeroed(CredsBufferSize);
                code = GetInitCredsKeytab(context, creds, client, keys, 0, IntPtr.Zero, IntPtr.Zero);
                if (code == 0)
                {
                    FreeCredContents(context, creds);
                }
            }
            return code == 0 ? null : Message(context, code);
        }
        finally
        {
            if (creds != IntPtr.Zero)
            {
                Marshal.FreeHGlobal(creds);
            }
            if (keys != IntPtr.Zero)
            {
                _ = CloseKeytab(context, keys);
            }
            if (client != IntPtr.Zero)
            {
                FreePrincipal(context, client);
            }
            FreeContext(context);
        }
    }
}
