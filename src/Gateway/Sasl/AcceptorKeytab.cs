using System.Runtime.InteropServices;
using static ZkGateway.Gateway.Sasl.Krb5Native;

namespace ZkGateway.Gateway.Sasl;

/// <summary>
/// The keys the GSS acceptor may use: only the JAAS section's principal's. 3.8.0's server accepts a ticket for
/// its own principal only (its SaslServer is made for that name), while an MIT acceptor with default
/// credentials takes any key in its keytab. So the principal's entries are copied from the keytab file into an
/// in-process MEMORY keytab, which KRB5_KTNAME then names. A MEMORY keytab lives while a handle to it is open:
/// this one is kept open for the life of the process.
/// </summary>
internal static class AcceptorKeytab
{
    private const string Name = "MEMORY:zkgateway-acceptor";

    // krb5_keytab_entry on LP64: magic, then the principal pointer at offset 8; 48 bytes in all.
    private const int EntryBufferSize = 256;
    private const int PrincipalOffset = 8;

    private static readonly object Gate = new();
    private static IntPtr s_context;
    private static IntPtr s_keytab;

    /// <summary>Loads <paramref name="principal"/>'s keys from <paramref name="file"/>; returns the keytab name for KRB5_KTNAME.</summary>
    /// <exception cref="InvalidOperationException">The keytab cannot be read or the principal not parsed (the library's reason).</exception>
    public static string Restrict(string file, string principal)
    {
        lock (Gate)
        {
            if (s_context == IntPtr.Zero)
            {
                int init = InitContext(out s_context);
                if (init != 0)
                {
                    throw new InvalidOperationException($"krb5_init_context failed ({init})");
                }
                Check(s_context, ResolveKeytab(s_context, CString(Name), out s_keytab), Name);
            }
            Copy(s_context, file, principal, s_keytab);
            return Name;
        }
    }

    private static void Copy(IntPtr context, string file, string principal, IntPtr target)
    {
        IntPtr wanted = IntPtr.Zero, source = IntPtr.Zero, entry = IntPtr.Zero;
        try
        {
            Check(context, ParseName(context, CString(principal), out wanted), principal);
            Check(context, ResolveKeytab(context, CString("FILE:" + file), out source), file);
            Check(context, StartSeqGet(context, source, out var cursor), file);
            entry = AllocZeroed(EntryBufferSize);
            try
            {
                while (NextEntry(context, source, entry, ref cursor) == 0)
                {
                    if (PrincipalCompare(context, Marshal.ReadIntPtr(entry, PrincipalOffset), wanted) != 0)
                    {
                        Check(context, AddEntry(context, target, entry), Name);
                    }
                    _ = FreeKeytabEntryContents(context, entry);
                }
            }
            finally
            {
                _ = EndSeqGet(context, source, ref cursor);
            }
        }
        finally
        {
            if (entry != IntPtr.Zero)
            {
                Marshal.FreeHGlobal(entry);
            }
            if (source != IntPtr.Zero)
            {
                _ = CloseKeytab(context, source);
            }
            if (wanted != IntPtr.Zero)
            {
                FreePrincipal(context, wanted);
            }
        }
    }

    private static void Check(IntPtr context, int code, string what)
    {
        if (code != 0)
        {
            throw new InvalidOperationException($"{what}: {Message(context, code)}");
        }
    }
}
