using System.Runtime.InteropServices;
using System.Text;
using ZkGateway.Gateway.Hosting;

namespace ZkGateway.Gateway.Sasl;

/// <summary>
/// The login 3.8.0's server does at start-up with a Krb5LoginModule section (isInitiator, its default): the
/// module asks the KDC for the service principal's ticket-granting ticket with the keytab's key, and when the
/// KDC refuses (a keytab older than the principal's key, a principal the KDC does not know, no KDC)
/// ServerCnxnFactory.configureSaslLogin fails and the server does not start. The gateway asks the same
/// question through MIT libkrb5 (krb5_get_init_creds_keytab) and stops the same way; the ticket is dropped,
/// as the acceptor needs only the keytab.
/// </summary>
public sealed record KerberosServiceLogin(string Principal, string Keytab)
{
    private const string Library = "libkrb5.so.3";

    // krb5_creds is about 150 bytes on LP64; the library fills it, and only krb5_free_cred_contents reads it back.
    private const int CredsBufferSize = 1024;

    /// <summary>Gets (and drops) the principal's initial ticket; throws what 3.8.0's start-up reports.</summary>
    /// <exception cref="GatewayConfigurationException">The KDC refused the keytab, or libkrb5 is missing.</exception>
    public void Run()
    {
        string? failure;
        try
        {
            failure = GetInitialTicket();
        }
        catch (DllNotFoundException e)
        {
            failure = $"{Library} is not installed ({e.Message})";
        }
        if (failure is not null)
        {
            // 3.8.0's words (with its double space), then the Kerberos library's reason.
            throw new GatewayConfigurationException(
                $"Could not configure server because SASL configuration did not allow the  ZooKeeper server to authenticate itself properly: {Principal} from {Keytab}: {failure}");
        }
    }

    /// <summary>Null when the KDC issued the ticket, else the library's message.</summary>
    private string? GetInitialTicket()
    {
        int init = InitContext(out var context);
        if (init != 0)
        {
            return $"krb5_init_context failed ({init})";
        }
        IntPtr principal = IntPtr.Zero, keytab = IntPtr.Zero, creds = IntPtr.Zero;
        try
        {
            int code = ParseName(context, CString(Principal), out principal);
            if (code == 0)
            {
                code = ResolveKeytab(context, CString("FILE:" + Keytab), out keytab);
            }
            if (code == 0)
            {
                creds = Marshal.AllocHGlobal(CredsBufferSize);
                Marshal.Copy(new byte[CredsBufferSize], 0, creds, CredsBufferSize);
                code = GetInitCredsKeytab(context, creds, principal, keytab, 0, IntPtr.Zero, IntPtr.Zero);
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
            if (keytab != IntPtr.Zero)
            {
                _ = CloseKeytab(context, keytab);
            }
            if (principal != IntPtr.Zero)
            {
                FreePrincipal(context, principal);
            }
            FreeContext(context);
        }
    }

    private static string Message(IntPtr context, int code)
    {
        IntPtr text = ErrorMessage(context, code);
        try
        {
            return Marshal.PtrToStringUTF8(text) ?? $"Kerberos error {code}";
        }
        finally
        {
            FreeErrorMessage(context, text);
        }
    }

    private static byte[] CString(string s) => [.. Encoding.UTF8.GetBytes(s), 0];

    // byte[] arguments: NUL-terminated UTF-8; out IntPtr: the library's handles.
    [DllImport(Library, EntryPoint = "krb5_init_context")]
    private static extern int InitContext(out IntPtr context);

    [DllImport(Library, EntryPoint = "krb5_free_context")]
    private static extern void FreeContext(IntPtr context);

    [DllImport(Library, EntryPoint = "krb5_parse_name")]
    private static extern int ParseName(IntPtr context, byte[] name, out IntPtr principal);

    [DllImport(Library, EntryPoint = "krb5_free_principal")]
    private static extern void FreePrincipal(IntPtr context, IntPtr principal);

    [DllImport(Library, EntryPoint = "krb5_kt_resolve")]
    private static extern int ResolveKeytab(IntPtr context, byte[] name, out IntPtr keytab);

    [DllImport(Library, EntryPoint = "krb5_kt_close")]
    private static extern int CloseKeytab(IntPtr context, IntPtr keytab);

    [DllImport(Library, EntryPoint = "krb5_get_init_creds_keytab")]
    private static extern int GetInitCredsKeytab(IntPtr context, IntPtr creds, IntPtr client, IntPtr keytab, int startTime, IntPtr service, IntPtr options);

    [DllImport(Library, EntryPoint = "krb5_free_cred_contents")]
    private static extern void FreeCredContents(IntPtr context, IntPtr creds);

    [DllImport(Library, EntryPoint = "krb5_get_error_message")]
    private static extern IntPtr ErrorMessage(IntPtr context, int code);

    [DllImport(Library, EntryPoint = "krb5_free_error_message")]
    private static extern void FreeErrorMessage(IntPtr context, IntPtr message);
}
