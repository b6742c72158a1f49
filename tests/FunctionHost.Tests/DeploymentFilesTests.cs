using System.Diagnostics;

namespace ZkGateway.FunctionHost.Tests;

/// <summary>
/// The deployment files cannot be exercised here (no AWS account, no Docker daemon), so their static
/// checkers run with the suite: deploy/aws/check_template.py (CloudFormation YAML, references, the
/// resource names and settings the provider relies on, cfn-lint when installed) and
/// docker/check_docker.py. Both need Debian's python3-yaml (scripts/install-test-deps.sh).
/// </summary>
public sealed class DeploymentFilesTests
{
    [Fact]
    public Task The_cloudformation_template_passes_its_checks() => RunCheckerAsync("deploy/aws/check_template.py");

    [Fact]
    public Task The_docker_files_pass_their_checks() => RunCheckerAsync("docker/check_docker.py");

    private static async Task RunCheckerAsync(string script)
    {
        var root = RepositoryRoot();
        // Debian's interpreter: python3-yaml is installed for it (a pyenv python3 on PATH may lack yaml).
        var python = File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
        var start = new ProcessStartInfo(python)
        {
            ArgumentList = { Path.Combine(root, script) },
            WorkingDirectory = root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(3));
        Assert.True(process.ExitCode == 0, $"{script} exited {process.ExitCode}:\n{await stdout}\n{await stderr}");
    }

    internal static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ZkGateway.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException($"No ZkGateway.sln above {AppContext.BaseDirectory}");
    }
}
