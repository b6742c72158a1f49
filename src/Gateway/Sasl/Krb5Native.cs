using System.Runtime.InteropServices;
using System.Text;

namespace ZkGateway.Gateway.Sasl;

/// <summary>
/// The few MIT libkrb5 calls the gateway makes itself (the start-up login and the acceptor's keytab); the GSS
/// exchange goes through .NET's NegotiateAuthentication, which loads the same library.
/// </summary>
internal static class Krb5Native
{
    public const string Library = "libkrb5.so.3";

    /// <summary>A NUL-terminated UTF-8 string, as every name argument below takes it.</summary>
    public static byte[] CString(string s) => [.. Encoding.UTF8.GetBytes(s), 0];

    /// <summary>The library's message for an error code.</summary>
    public static string Message(IntPtr context, int code)
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

    /// <summary>A zeroed native buffer for a structure the library fills (krb5_creds, krb5_keytab_entry).</summary>
    public static IntPtr AllocZeroed(int size)
    {
        IntPtr p = Marshal.AllocHGlobal(size);
        Marshal.Copy(new byte[size], 0, p, size);
        return p;
    }

    [DllImport(Library, EntryPoint = "krb5_init_context")]
    public static extern int InitContext(out IntPtr context);

    [DllImport(Library, EntryPoint = "krb5_free_context")]
    public static extern void FreeContext(IntPtr context);

    [DllImport(Library, EntryPoint = "krb5_parse_name")]
    public static extern int ParseName(IntPtr context, byte[] name, out IntPtr principal);

    [DllImport(Library, EntryPoint = "krb5_free_principal")]
    public static extern void FreePrincipal(IntPtr context, IntPtr principal);

    [DllImport(Library, EntryPoint = "krb5_principal_compare")]
    public static extern uint PrincipalCompare(IntPtr context, IntPtr left, IntPtr right);

    [DllImport(Library, EntryPoint = "krb5_kt_resolve")]
    public static extern int ResolveKeytab(IntPtr context, byte[] name, out IntPtr keytab);

    [DllImport(Library, EntryPoint = "krb5_kt_close")]
    public static extern int CloseKeytab(IntPtr context, IntPtr keytab);

    [DllImport(Library, EntryPoint = "krb5_kt_start_seq_get")]
    public static extern int StartSeqGet(IntPtr context, IntPtr keytab, out IntPtr cursor);

    [DllImport(Library, EntryPoint = "krb5_kt_next_entry")]
    public static extern int NextEntry(IntPtr context, IntPtr keytab, IntPtr entry, ref IntPtr cursor);

    [DllImport(Library, EntryPoint = "krb5_kt_end_seq_get")]
    public static extern int EndSeqGet(IntPtr context, IntPtr keytab, ref IntPtr cursor);

    [DllImport(Library, EntryPoint = "krb5_kt_add_entry")]
    public static extern int AddEntry(IntPtr context, IntPtr keytab, IntPtr entry);

    [DllImport(Library, EntryPoint = "krb5_free_keytab_entry_contents")]
    public static extern int FreeKeytabEntryContents(IntPtr context, IntPtr entry);

    [DllImport(Library, EntryPoint = "krb5_get_init_creds_keytab")]
    public static extern int GetInitCredsKeytab(IntPtr context, IntPtr creds, IntPtr client, IntPtr keytab, int startTime, IntPtr service, IntPtr options);

    [DllImport(Library, EntryPoint = "krb5_free_cred_contents")]
    public static extern void FreeCredContents(IntPtr context, IntPtr creds);

    [DllImport(Library, EntryPoint = "krb5_get_error_message")]
    private static extern IntPtr ErrorMessage(IntPtr context, int code);

    [DllImport(Library, EntryPoint = "krb5_free_error_message")]
    private static extern void FreeErrorMessage(IntPtr context, IntPtr message);
}
