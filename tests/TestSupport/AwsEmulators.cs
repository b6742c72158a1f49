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
    private static readonly string[] EndpointKeys = ["ZKGW_AWS_DYNAMODB", "ZKGW_AWS_S3", "ZKGW_AWS_SQS"];

    private static readonly Lazy<Task<IReadOnlyDictionary<string, string>>> Endpoints = new(StartAsync);

    /// <summary>Settings for a new deployment with a unique name (nothing is provisioned yet).</summary>
    public static async Task<AwsSettings> NewDeploymentAsync(string prefix = "t") =>
        NewDeployment(await Endpoints.Value.ConfigureAwait(false), prefix);

    /// <summary>Settings for a new deployment with a unique name on the emulators at <paramref name="endpoints"/>.</summary>
    internal static AwsSettings NewDeployment(IReadOnlyDictionary<string, string> endpoints, string prefix)
    {
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
        if (EndpointKeys.All(k => !string.IsNullOrEmpty(Environment.GetEnvironmentVariable(k))))
        {
            return EndpointKeys.ToDictionary(k => k, k => Environment.GetEnvironmentVariable(k)!);
        }
        string output = await RunScriptAsync(["start"]).ConfigureAwait(false);
        return ParseEndpoints(output);
    }

    /// <summary>The endpoints <c>scripts/aws-emulators.sh start</c> printed.</summary>
    internal static IReadOnlyDictionary<string, string> ParseEndpoints(string output)
    {
        var endpoints = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => line.Split('=', 2))
            .Where(parts => parts.Length == 2 && EndpointKeys.Contains(parts[0]))
            .ToDictionary(parts => parts[0], parts => parts[1]);
        if (EndpointKeys.Any(k => !endpoints.ContainsKey(k)))
        {
            throw new InvalidOperationException($"scripts/aws-emulators.sh start printed no endpoints: {output}");
        }
        return endpoints;
    }

    /// <summary>Runs <c>scripts/aws-emulators.sh</c> with <paramref name="arguments"/>; its standard output, or an exception with both outputs.</summary>
    internal static async Task<string> RunScriptAsync(IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        string script = Path.Combine(FindRepositoryRoot(), "scripts", "aws-emulators.sh");
        var start = new ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(script);
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not run bash.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().ConfigureAwait(false);
        string output = await stdout.ConfigureAwait(false);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"scripts/aws-emulators.sh {string.Join(' ', arguments)} failed ({process.ExitCode}): {await stderr.ConfigureAwait(false)}{output}");
        }
        return output;
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
