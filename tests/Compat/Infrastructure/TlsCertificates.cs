using System.Diagnostics;

namespace ZkGateway.Compat.Infrastructure;

/// <summary>
/// Test certificates, made with openssl once per test run in a temp directory (never committed):
/// a CA (<c>ca.pem</c>), the server (<c>server.p12</c>, SAN IP:127.0.0.1 and DNS:localhost, with the CA in
/// its chain), clients <c>client</c>, <c>other</c> and <c>admin</c> signed by the CA (<c>NAME.p12</c>,
/// <c>NAME.pem</c>, <c>NAME.key</c>), and <c>rogue</c>, with the same subject as <c>client</c> but signed
/// by another CA. PKCS12 password <see cref="Password"/>.
/// </summary>
public static class TlsCertificates
{
    public const string Password = "testpass";

    /// <summary>The subject DN of <c>client.p12</c> and <c>rogue.p12</c>, as Java prints it.</summary>
    public const string ClientDn = "CN=client,OU=test,O=zkgw";

    /// <summary>The subject DN of <c>admin.p12</c>, configured as the x509 super user.</summary>
    public const string AdminDn = "CN=admin,OU=test,O=zkgw";

    private static readonly Lazy<Task<string>> Made = new(MakeAsync);

    /// <summary>The directory with the certificates, made on first use.</summary>
    public static Task<string> DirectoryAsync() => Made.Value;

    private static async Task<string> MakeAsync()
    {
        var dir = RepoPaths.NewTempDir("tls");
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
            }
        };
        await OpenSslAsync(dir, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/O=zkgw/CN=zkgw test CA");
        await OpenSslAsync(dir, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "rogueca.key", "-out", "rogueca.pem", "-days", "2", "-subj", "/O=rogue/CN=rogue CA");
        await File.WriteAllTextAsync(Path.Combine(dir, "san.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
        foreach (var (name, subject, ca) in new[]
                 {
                     ("server", "/O=zkgw/CN=localhost", "ca"),
                     ("client", "/O=zkgw/OU=test/CN=client", "ca"),
                     ("other", "/O=zkgw/OU=test/CN=other", "ca"),
                     ("admin", "/O=zkgw/OU=test/CN=admin", "ca"),
                     ("rogue", "/O=zkgw/OU=test/CN=client", "rogueca"),
                 })
        {
            await OpenSslAsync(dir, "req", "-newkey", "rsa:2048", "-nodes", "-keyout", name + ".key", "-out", name + ".csr", "-subj", subject);
            await OpenSslAsync(dir, "x509", "-req", "-in", name + ".csr", "-CA", ca + ".pem", "-CAkey", ca + ".key", "-CAcreateserial",
                "-out", name + ".pem", "-days", "2", "-extfile", "san.ext");
            await OpenSslAsync(dir, "pkcs12", "-export", "-inkey", name + ".key", "-in", name + ".pem", "-certfile", ca + ".pem",
                "-out", name + ".p12", "-passout", "pass:" + Password, "-name", name);
        }
        return dir;
    }

    private static async Task OpenSslAsync(string dir, params string[] args)
    {
        var psi = new ProcessStartInfo("openssl")
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
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("could not start openssl");
        var so = p.StandardOutput.ReadToEndAsync();
        var se = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"openssl {string.Join(' ', args)} failed (exit {p.ExitCode}):\n{await so}{await se}");
        }
    }
}
