using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;

namespace ZkGateway.Compat.Infrastructure;

internal static partial class Net
{
    /// <summary>A loopback TCP port that was free a moment ago.</summary>
    public static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    /// <summary>Sends a four-letter word and returns everything the server answers before closing (null on connect failure).</summary>
    public static async Task<string?> FourLetterAsync(int port, string word, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            using var c = new TcpClient();
            await c.ConnectAsync(IPAddress.Loopback, port, cts.Token);
            var s = c.GetStream();
            await s.WriteAsync(Encoding.ASCII.GetBytes(word), cts.Token);
            var ms = new MemoryStream();
            var buf = new byte[1024];
            int n;
            while ((n = await s.ReadAsync(buf, cts.Token)) > 0)
            {
                ms.Write(buf, 0, n);
            }

            return Encoding.ASCII.GetString(ms.ToArray());
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException)
        {
            return null;
        }
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SysKill(int pid, int sig);

    /// <summary>A signal to one process id: SIGTERM (15), SIGKILL (9), SIGSTOP (19), SIGCONT (18).</summary>
    public static void Signal(int pid, int sig) => _ = SysKill(pid, sig);
}
