using System.Diagnostics;
using ZkGateway.Backend.Aws;

namespace ZkGateway.Testing;

/// <summary>
/// The AWS API emulators for tests (any framework). Endpoints come from ZKGW_AWS_DYNAMODB, ZKGW_AWS_S3
/// and ZKGW_AWS_SQS when all are set (scripts/test.sh starts the emulators and sets them); otherwise
/// the first use runs <c>scripts/aws-emulators.sh start</c>, once per process. That start is
/// idempotent and leaves the emulators running for the next run (<c>scripts/aws-emulators.sh stop</c>
/// ends them).
/// </summary>
public static class AwsEmulators
{
    private static readonly Lazy<Task<IReadOnlyDictionary<string, string>>> Endpoints = new(StartAsync);

    /// <summary>Settings for a new deployment with a unique name (nothing is provisioned yet).</summary>
    public static async Task<AwsSettings> NewDeploymentAsync(string prefix = "t")
    {
        var endpoints = await Endpoints.Value.ConfigureAwait(false);
        // Lower case: the name becomes the bucket name, which S3 wants lower case.
        string name = $"{prefix}-{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 13, 40)].ToLowerInvariant();
        return new AwsSettings
        {
            DeploymentName = name,
            DynamoDbEndpoint = endpoints["ZKGW_AWS_DYNAMODB"],
            S3Endpoint = endpoints["ZKGW_AWS_S3"],
            SqsEndpoint = endpoints["ZKGW_AWS_SQS"],
            AccessKey = "test",
            SecretKey = "test",
        };
    }

    private static async Task<IReadOnlyDictionary<string, string>> StartAsync()
    {
        string[] keys = ["ZKGW_AWS_DYNAMODB", "ZKGW_AWS_S3", "ZKGW_AWS_SQS"];
        if (keys.All(k => !string.IsNullOrEmpty(Environment.GetEnvironmentVariable(k))))
        {
            return keys.ToDictionary(k => k, k => Environment.GetEnvironmentVariable(k)!);
        }
        string script = Path.Combine(FindRepositoryRoot(), "scripts", "aws-emulators.sh");
        var start = new ProcessStartInfo("bash", [script, "start"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not run bash.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().ConfigureAwait(false);
        string output = await stdout.ConfigureAwait(false);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"scripts/aws-emulators.sh start failed ({process.ExitCode}): {await stderr.ConfigureAwait(false)}{output}");
        }
        var endpoints = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => line.Split('=', 2))
            .Where(parts => parts.Length == 2 && keys.Contains(parts[0]))
            .ToDictionary(parts => parts[0], parts => parts[1]);
        if (keys.Any(k => !endpoints.ContainsKey(k)))
        {
            throw new InvalidOperationException($"scripts/aws-emulators.sh start printed no endpoints: {output}");
        }
        return endpoints;
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ZkGateway.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("ZkGateway.sln not found above " + AppContext.BaseDirectory);
    }
}
