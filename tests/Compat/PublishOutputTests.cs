using System.Diagnostics;
using ZkGateway.Compat.Infrastructure;

namespace ZkGateway.Compat;

/// <summary>
/// scripts/check-publish.sh with the suite: the embedded gateway's publish output carries no AWS SDK
/// and the function host's no SQLite, so a project reference that drags a provider set into the wrong
/// composition root fails a test instead of going unnoticed. Publishes from the build under test
/// (--no-build, same configuration; Compat's project references build both projects first).
/// </summary>
// In the compat collection: publishing is I/O-heavy; keep it off the scenario targets' cores.
[Collection(CompatCollection.Name)]
public sealed class PublishOutputTests
{
    [Fact]
    public async Task The_embedded_gateway_publishes_without_the_aws_sdk_and_the_function_host_without_sqlite()
    {
        var psi = new ProcessStartInfo("bash")
        {
            ArgumentList = { Path.Combine(RepoPaths.RepoRoot, "scripts", "check-publish.sh"), "--no-build", "-c", RepoPaths.Configuration },
            WorkingDirectory = RepoPaths.RepoRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(3));
        Assert.True(process.ExitCode == 0, $"check-publish.sh exited {process.ExitCode}:\n{await stdout}{await stderr}");
        Assert.Contains("check-publish: ok", await stdout);
    }
}
