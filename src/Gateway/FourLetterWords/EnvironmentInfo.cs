using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace ZkGateway.Gateway;

/// <summary>
/// ZooKeeper's Environment.list, for envi and the AdminServer's environment command: the same keys in
/// the same order, with the .NET runtime's facts where ZooKeeper gives the JVM's, and <c>&lt;NA&gt;</c> for
/// what has no counterpart.
/// </summary>
public static class EnvironmentInfo
{
    private const long Mb = 1024 * 1024;

    public static IReadOnlyList<KeyValuePair<string, string>> List(string fullVersion)
    {
        var list = new List<KeyValuePair<string, string>>(18);
        void Kv(string k, string? v) => list.Add(new(k, string.IsNullOrEmpty(v) ? "<NA>" : v));
        static string I(long v) => v.ToString(CultureInfo.InvariantCulture);

        Kv("zookeeper.version", fullVersion);
        string host;
        try
        {
            host = Dns.GetHostName();
        }
        catch (SocketException)
        {
            host = "<NA>";
        }
        Kv("host.name", host);
        Kv("java.version", Environment.Version.ToString());
        Kv("java.vendor", RuntimeInformation.FrameworkDescription);
        Kv("java.home", RuntimeEnvironment.GetRuntimeDirectory());
        Kv("java.class.path", AppContext.BaseDirectory);
        Kv("java.library.path", Environment.GetEnvironmentVariable("LD_LIBRARY_PATH"));
        Kv("java.io.tmpdir", Path.GetTempPath());
        Kv("java.compiler", null);
        Kv("os.name", OperatingSystem.IsLinux() ? "Linux" : OperatingSystem.IsWindows() ? "Windows" : OperatingSystem.IsMacOS() ? "Mac OS X" : RuntimeInformation.OSDescription);
        Kv("os.arch", RuntimeInformation.OSArchitecture switch
        {
            Architecture.X64 => "amd64",
            Architecture.Arm64 => "aarch64",
            Architecture.X86 => "x86",
            var a => a.ToString().ToLowerInvariant(),
        });
        Kv("os.version", Environment.OSVersion.Version.ToString());
        Kv("user.name", Environment.UserName);
        Kv("user.home", Environment.GetFolderPath(Environment.SpecialFolder.UserProfile));
        Kv("user.dir", Environment.CurrentDirectory);
        // Runtime.freeMemory/maxMemory/totalMemory: the GC heap's free, available and committed bytes.
        var gc = GC.GetGCMemoryInfo();
        long used = GC.GetTotalMemory(false);
        long committed = Math.Max(gc.TotalCommittedBytes, used);
        Kv("os.memory.free", I((committed - used) / Mb) + "MB");
        Kv("os.memory.max", I(gc.TotalAvailableMemoryBytes / Mb) + "MB");
        Kv("os.memory.total", I(committed / Mb) + "MB");
        return list;
    }
}
