using System.Diagnostics;

namespace ZkGateway.Backend.Functions;

/// <summary>
/// Crash points for fault tests: with <c>ZKGW_FAULT=&lt;name&gt;</c> in its environment, a function host
/// kills itself (SIGKILL, no clean-up, as a crashed Lambda or container) the first time it reaches
/// that point. Names: <c>writer-before-commit</c> (locks held, nothing committed) and
/// <c>writer-after-commit</c> (committed, not yet pushed to the distributor). Unset: a no-op.
/// </summary>
public static class FaultPoint
{
    private static readonly string? Armed = Environment.GetEnvironmentVariable("ZKGW_FAULT");

    public static void Hit(string name)
    {
        if (Armed is not null && Armed == name)
        {
            Console.Error.WriteLine($"fault injected: {name}, killing process {Environment.ProcessId}");
            Console.Error.Flush();
            Process.GetCurrentProcess().Kill();
        }
    }
}
