using System.Runtime.InteropServices;

namespace ZkGateway.Gateway.Sasl;

/// <summary>
/// Points MIT Kerberos at the JAAS section's keytab before the first GSS-API call. libgssapi_krb5 reads
/// KRB5_KTNAME with getenv, and .NET's Environment.SetEnvironmentVariable does not change the native
/// environment on Unix, so the variable is set with libc's setenv (an operator's own KRB5_KTNAME wins). Set at
/// start-up by <see cref="KerberosService"/>.
/// </summary>
internal static class KerberosEnvironment
{
    /// <summary>Whether KRB5_KTNAME is set already (by the operator, or by an earlier host in this process).</summary>
    public static bool KeytabPreset => Environment.GetEnvironmentVariable("KRB5_KTNAME") is { Length: > 0 };

    /// <summary>Sets KRB5_KTNAME (a file path, or a <c>TYPE:residual</c> name) unless it is set already.</summary>
    public static void UseKeytab(string keytab)
    {
        if (KeytabPreset)
        {
            return;
        }
        Environment.SetEnvironmentVariable("KRB5_KTNAME", keytab);
        if (!OperatingSystem.IsWindows() && SetEnv(CString("KRB5_KTNAME"), CString(keytab), 1) != 0)
        {
            throw new InvalidOperationException("setenv(KRB5_KTNAME) failed");
        }
    }

    private static byte[] CString(string s) => [.. System.Text.Encoding.UTF8.GetBytes(s), 0];

    // byte[] arguments: NUL-terminated UTF-8, blittable, so no marshalling code is generated.
    [DllImport("libc", EntryPoint = "setenv")]
    private static extern int SetEnv(byte[] name, byte[] value, int overwrite);
}
