using ZkGateway.Gateway.Hosting;

namespace ZkGateway.Gateway.Tools;

/// <summary>How every operator command reports a wrong call: one line per problem on standard error, exit code 2.</summary>
internal static class CommandLineErrors
{
    public static async Task<int> ReportAsync(string command, IEnumerable<string> errors)
    {
        foreach (string error in errors)
        {
            await Console.Error.WriteLineAsync($"zkgateway {command}: {error}").ConfigureAwait(false);
        }
        return GatewayHost.ConfigErrorExitCode;
    }
}
