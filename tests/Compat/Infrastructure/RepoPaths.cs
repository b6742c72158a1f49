using System.Reflection;

namespace ZkGateway.Compat.Infrastructure;

/// <summary>Locates the repository (the directory holding ZkGateway.sln) and the files the tests need.</summary>
public static class RepoPaths
{
    private static readonly Lazy<string> Root = new(FindRoot);

    /// <summary>The repository root: the first ancestor of the test assembly's directory that holds ZkGateway.sln.</summary>
    public static string RepoRoot => Root.Value;

    public static string CompatDir => Path.Combine(RepoRoot, "tests", "Compat");

    public static string ClientsDir => Path.Combine(CompatDir, "clients");

    public static string ExpectedDir => Path.Combine(CompatDir, "expected");

    /// <summary>The build configuration of this test assembly (Debug/Release); the gateway is used in the same one.</summary>
    public static string Configuration =>
        typeof(RepoPaths).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration is { Length: > 0 } c ? c : "Debug";

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ZkGateway.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"ZkGateway.sln not found above {AppContext.BaseDirectory}");
    }

    /// <summary>A fresh, empty temporary directory.</summary>
    public static string NewTempDir(string tag)
    {
        var dir = Path.Combine(Path.GetTempPath(), $"zkcompat-{tag}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}");
        Directory.CreateDirectory(dir);
        return dir;
    }
}
