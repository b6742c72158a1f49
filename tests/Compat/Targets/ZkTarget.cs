using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ZkGateway.Compat.Targets;

/// <summary>
/// A ZooKeeper-speaking server the scenarios run against: real Apache ZooKeeper 3.8 (the oracle) or
/// the ZkGateway gateway. Both run as real processes on 127.0.0.1 with their own data directory.
/// </summary>
public abstract class ZkTarget : IAsyncDisposable
{
    private Process? _process;
    private readonly StringBuilder _output = new();

    protected ZkTarget(string name)
    {
        Name = name;
        DataDir = Path.Combine(Path.GetTempPath(), $"zkgw-compat-{name}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(DataDir);
        Port = FreePort();
    }

    public string Name { get; }

    public int Port { get; }

    public string DataDir { get; }

    public string ConnectString => $"127.0.0.1:{Port}";

    /// <summary>What the process printed (for failure messages).</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    protected abstract ProcessStartInfo CreateStartInfo();

    /// <summary>Starts the process and waits until it answers ruok with imok.</summary>
    public async Task StartAsync()
    {
        var info = CreateStartInfo();
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.UseShellExecute = false;
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        if (!process.Start())
        {
            throw new InvalidOperationException($"{Name} did not start.");
        }
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"{Name} exited with {process.ExitCode} during start-up:\n{Output}");
            }
            if (await FourLetterWordAsync("ruok") == "imok")
            {
                return;
            }
            await Task.Delay(50);
        }
        throw new TimeoutException($"{Name} did not answer ruok within 60 s:\n{Output}");
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    /// <summary>SIGKILL: no shutdown code runs.</summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
        _process = null;
    }

    /// <summary>Sends a four-letter word and returns the whole answer ("" if refused).</summary>
    public async Task<string> FourLetterWordAsync(string command)
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, Port);
            var stream = client.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes(command));
            using var reader = new StreamReader(stream, Encoding.UTF8);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            return await reader.ReadToEndAsync(timeout.Token);
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException)
        {
            return "";
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        try
        {
            Directory.Delete(DataDir, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
        GC.SuppressFinalize(this);
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public override string ToString() => Name;
}

/// <summary>Apache ZooKeeper 3.8 from Debian's package, standalone, on 127.0.0.1.</summary>
public sealed class ZooKeeperTarget : ZkTarget
{
    public const string Jar = "/usr/share/java/zookeeper.jar";

    public ZooKeeperTarget() : base("zookeeper")
    {
    }

    protected override ProcessStartInfo CreateStartInfo()
    {
        if (!File.Exists(Jar))
        {
            throw new InvalidOperationException($"{Jar} is missing: run scripts/install-test-deps.sh.");
        }
        string config = Path.Combine(DataDir, "zoo.cfg");
        // Comments stay on their own lines: ZooKeeper reads everything after "=" as the value.
        File.WriteAllText(config, $"""
            tickTime=2000
            dataDir={Path.Combine(DataDir, "data")}
            clientPort={Port}
            clientPortAddress=127.0.0.1
            maxClientCnxns=0
            admin.enableServer=false
            4lw.commands.whitelist=*
            """);
        var info = new ProcessStartInfo("java")
        {
            ArgumentList =
            {
                "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-cp", $"{Jar}:/usr/share/java/slf4j-simple.jar",
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                "-Dzookeeper.DigestAuthenticationProvider.superDigest=super:D/InIHSb7yEEbrWz8b9l71RjZJU=",
                "org.apache.zookeeper.server.ZooKeeperServerMain", config,
            },
        };
        return info;
    }
}

/// <summary>The gateway, built from this repository, on its embedded default.</summary>
public sealed class GatewayTarget : ZkTarget
{
    public GatewayTarget() : base("gateway")
    {
    }

    /// <summary>The built gateway, in the configuration these tests were built in.</summary>
    public static string GatewayDll
    {
        get
        {
            string root = RepositoryRoot();
#if DEBUG
            const string configuration = "Debug";
#else
            const string configuration = "Release";
#endif
            string dll = Path.Combine(root, "src", "Gateway", "bin", configuration, "net10.0", "ZkGateway.dll");
            if (!File.Exists(dll))
            {
                throw new InvalidOperationException($"The gateway is not built ({dll}); build the solution first.");
            }
            return dll;
        }
    }

    public static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "ZkGateway.sln")))
        {
            dir = dir.Parent;
        }
        return dir?.FullName ?? throw new InvalidOperationException("ZkGateway.sln not found above the test binaries.");
    }

    protected override ProcessStartInfo CreateStartInfo() => new("dotnet")
    {
        ArgumentList =
        {
            GatewayDll,
            $"--clientPort={Port}",
            $"--dataDir={Path.Combine(DataDir, "data")}",
            "--tickTime=2000",
            "--4lw.commands.whitelist=*",
        },
    };
}
