using System.Diagnostics;

namespace ZkGateway.Compat.Infrastructure;

/// <summary>
/// A private MIT KDC for the GSSAPI tests, made in a temp directory (realm <see cref="Realm"/>): the database
/// (<c>kdb5_util create -s</c>), the service principal <c>zookeeper/localhost</c> and the clients <c>alice</c> and
/// <c>mallory</c> with random keys, each exported to a keytab (<c>server.keytab</c>, <c>NAME.keytab</c>), and
/// <c>krb5.conf</c> (<see cref="ConfigFile"/>, for KRB5_CONFIG and java.security.krb5.conf) naming the KDC on a
/// free port. <c>other/localhost</c> is a service the KDC issues tickets for; only <c>combined.keytab</c> holds its key,
/// next to zookeeper/localhost's.
/// mallory's keytab is exported a second time after her key is re-randomised, so
/// <c>stale.keytab</c> holds a key the KDC no longer knows (the "wrong keytab" case); <c>eve.keytab</c> is the key
/// of a principal deleted afterwards (an unknown client); <c>rotated.keytab</c> holds <see cref="RotatedServicePrincipal"/>'s
/// key before it was rotated (a server with a stale keytab: the tickets name a newer kvno). Stopped by <see cref="DisposeAsync"/>.
/// </summary>
public sealed class KerberosKdc : IAsyncDisposable
{
    public const string Realm = "ZKGW.TEST";
    public const string ServicePrincipal = "zookeeper/localhost@" + Realm;

    /// <summary>A service whose key was changed after <c>rotated.keytab</c> was exported.</summary>
    public const string RotatedServicePrincipal = "zkrotated/localhost@" + Realm;

    private readonly Process _kdc;

    private KerberosKdc(string dir, Process kdc)
    {
        Directory = dir;
        _kdc = kdc;
    }

    public string Directory { get; }

    public string ConfigFile => Path.Combine(Directory, "krb5.conf");

    public string Keytab(string name) => Path.Combine(Directory, name + ".keytab");

    /// <summary>The environment the KDC tools (and any process using this realm) need.</summary>
    public IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string>
    {
        ["KRB5_CONFIG"] = ConfigFile,
        ["KRB5_KDC_PROFILE"] = Path.Combine(Directory, "kdc.conf"),
    };

    public static async Task<KerberosKdc> StartAsync()
    {
        var dir = RepoPaths.NewTempDir("kdc");
        var port = Net.FreePort();
        // udp_preference_limit = 1: TCP only, so the one port we picked is all the KDC listens on that matters.
        await File.WriteAllTextAsync(Path.Combine(dir, "krb5.conf"), $$"""
            [libdefaults]
             default_realm = {{Realm}}
             dns_lookup_kdc = false
             dns_lookup_realm = false
             rdns = false
             udp_preference_limit = 1
            [realms]
             {{Realm}} = {
              kdc = 127.0.0.1:{{port}}
             }
            [domain_realm]
             localhost = {{Realm}}

            """);
        await File.WriteAllTextAsync(Path.Combine(dir, "kdc.conf"), $$"""
            [kdcdefaults]
             kdc_ports = {{port}}
             kdc_tcp_ports = {{port}}
            [realms]
             {{Realm}} = {
              database_name = {{dir}}/principal
              key_stash_file = {{dir}}/stash
              acl_file = {{dir}}/kadm5.acl
             }

            """);
        var env = new Dictionary<string, string>
        {
            ["KRB5_CONFIG"] = Path.Combine(dir, "krb5.conf"),
            ["KRB5_KDC_PROFILE"] = Path.Combine(dir, "kdc.conf"),
        };
        await RunAsync(dir, env, "kdb5_util", "create", "-s", "-P", "kdc-master-key", "-r", Realm);
        foreach (var q in new[]
                 {
                     "addprinc -randkey zookeeper/localhost", $"ktadd -k {dir}/server.keytab zookeeper/localhost",
                     "addprinc -randkey alice", $"ktadd -k {dir}/alice.keytab alice",
                     "addprinc -randkey other/localhost",
                     // zookeeper/localhost's current key (not re-randomised) and other/localhost's, in one keytab.
                     $"ktadd -k {dir}/combined.keytab -norandkey zookeeper/localhost", $"ktadd -k {dir}/combined.keytab other/localhost",
                     "addprinc -randkey mallory", $"ktadd -k {dir}/stale.keytab mallory", "cpw -randkey mallory",
                     // eve's keytab holds a key for a principal the KDC then forgets: an unknown client.
                     "addprinc -randkey eve", $"ktadd -k {dir}/eve.keytab eve", "delprinc -force eve",
                     // A service whose key is rotated after its keytab was written: the keytab's kvno is stale.
                     "addprinc -randkey zkrotated/localhost", $"ktadd -k {dir}/rotated.keytab zkrotated/localhost", "cpw -randkey zkrotated/localhost",
                 })
        {
            await RunAsync(dir, env, "kadmin.local", "-r", Realm, "-q", q);
        }
        var psi = Start(dir, env, "krb5kdc", "-n", "-r", Realm, "-P", Path.Combine(dir, "kdc.pid"));
        var kdc = Process.Start(psi) ?? throw new InvalidOperationException("could not start krb5kdc");
        _ = kdc.StandardOutput.ReadToEndAsync();
        _ = kdc.StandardError.ReadToEndAsync();
        var started = new KerberosKdc(dir, kdc);
        // Ready when a client can get a ticket from it (kinit retries nothing itself).
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await RunAsync(dir, new Dictionary<string, string>(env) { ["KRB5CCNAME"] = Path.Combine(dir, "probe.cc") },
                    "kinit", "-k", "-t", started.Keytab("alice"), "alice@" + Realm);
                return started;
            }
            catch (InvalidOperationException) when (attempt < 50 && !kdc.HasExited)
            {
                await Task.Delay(100);
            }
        }
    }

    /// <summary>kinit with a keytab into a fresh cache; the exit code and what it printed.</summary>
    public async Task<(int ExitCode, string Output)> KinitAsync(string principal, string keytab)
    {
        var env = new Dictionary<string, string>(Environment) { ["KRB5CCNAME"] = Path.Combine(Directory, Guid.NewGuid().ToString("N") + ".cc") };
        using var p = Process.Start(Start(Directory, env, "kinit", "-k", "-t", keytab, principal)) ?? throw new InvalidOperationException("could not start kinit");
        var so = p.StandardOutput.ReadToEndAsync();
        var se = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        return (p.ExitCode, await so + await se);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_kdc.HasExited)
        {
            _kdc.Kill();
            await _kdc.WaitForExitAsync();
        }
        _kdc.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static ProcessStartInfo Start(string dir, IReadOnlyDictionary<string, string> env, string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file)
        {
            WorkingDirectory = dir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        foreach (var (k, v) in env)
        {
            psi.Environment[k] = v;
        }
        return psi;
    }

    private static async Task RunAsync(string dir, IReadOnlyDictionary<string, string> env, string file, params string[] args)
    {
        using var p = Process.Start(Start(dir, env, file, args)) ?? throw new InvalidOperationException($"could not start {file}");
        var so = p.StandardOutput.ReadToEndAsync();
        var se = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed (exit {p.ExitCode}):\n{await so}{await se}");
        }
    }
}
