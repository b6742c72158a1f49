using ZkGateway.Compat.Infrastructure;

namespace ZkGateway.ProtocolFuzz;

/// <summary>
/// One real ZooKeeper 3.8.0 and one embedded gateway for the whole run, started with the Compat harness's
/// settings (same tick, whitelist and super digest; the gateway without its AdminServer).
/// </summary>
public sealed class FuzzServers : IAsyncLifetime
{
    public RealZooKeeper ZooKeeper { get; } = new();

    public GatewayServer Gateway { get; } = new();

    public async Task InitializeAsync()
    {
        await ZooKeeper.StartAsync();
        await Gateway.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await Gateway.DisposeAsync();
        await ZooKeeper.DisposeAsync();
    }

    /// <summary>The gateway process' resident set size in kB (VmRSS), found by its --clientPort argument; null if not found.</summary>
    public long? GatewayRssKb()
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            try
            {
                string cmdline = File.ReadAllText(Path.Combine(dir, "cmdline"));
                if (!cmdline.Contains("ZkGateway.dll", StringComparison.Ordinal) || !cmdline.Contains($"--clientPort={Gateway.Port}\0", StringComparison.Ordinal))
                {
                    continue;
                }
                foreach (var line in File.ReadLines(Path.Combine(dir, "status")))
                {
                    if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                    {
                        return long.Parse(line[6..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
                    }
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // A process that went away, or not ours.
            }
        }
        return null;
    }
}

[CollectionDefinition(Name)]
public sealed class FuzzCollection : ICollectionFixture<FuzzServers>
{
    public const string Name = "protocol fuzz";
}
