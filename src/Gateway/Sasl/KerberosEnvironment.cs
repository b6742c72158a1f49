using System.Runtime.InteropServices;

namespace ZkGateway.Gateway.Sasl;

/// <summary>
/// Points MIT Kerberos at the JAAS section's keytab before the first GSS-API call. libgssapi_krb5 reads
/// KRB5_KTNAME with getenv, and .NET's Environment.SetEnvironmentVariable does not change the native
/// environment on Unix, so the variable is set with libc's setenv (an operator's own KRB5_KTNAME wins).
/// </summary>
internal static class KerberosEnvironment
{
    public static void UseKeytab(string keytab)
    {
        if (Environment.GetEnvironmentVariable("KRB5_KTNAME") is { Length: > 0 })
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
