using ZkGateway.Backend.Aws;

namespace ZkGateway.Testing;

/// <summary>
/// A set of AWS API emulators of one test's own (scripts/aws-emulators.sh with a directory of its own),
/// so that the test can kill, stop and revive them without touching the set every other test shares
/// (<see cref="AwsEmulators"/>). DynamoDB Local can keep its tables on disk, so that a kill loses
/// nothing it acknowledged, as DynamoDB does not. Disposing stops the set and deletes its directory.
/// </summary>
public sealed class PrivateEmulators : IAsyncDisposable
{
    /// <summary>One emulator process: DynamoDB Local, or fauxqs (SQS and S3 in one process).</summary>
    public enum Emulator
    {
        DynamoDb,
        Fauxqs,
    }

    private readonly string _dir;
    private readonly IReadOnlyDictionary<string, string> _endpoints;

    private PrivateEmulators(string dir, IReadOnlyDictionary<string, string> endpoints)
    {
        _dir = dir;
        _endpoints = endpoints;
    }

    /// <param name="persistentDynamoDb">DynamoDB Local keeps its tables in the set's directory (-dbPath), not in memory.</param>
    public static async Task<PrivateEmulators> StartAsync(bool persistentDynamoDb)
    {
        // Under the system's temporary directory, never inside a repository's work tree.
        string dir = Path.Combine(Path.GetTempPath(), "zkgw-emu-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(dir);
        var environment = new Dictionary<string, string>();
        if (persistentDynamoDb)
        {
            environment["ZKGW_EMU_DYNAMODB_DB"] = Path.Combine(dir, "dynamodb-data");
        }
        try
        {
            string output = await AwsEmulators.RunScriptAsync(["start", "--dir", dir], environment).ConfigureAwait(false);
            return new PrivateEmulators(dir, AwsEmulators.ParseEndpoints(output));
        }
        catch
        {
            await StopAsync(dir).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Settings for a new deployment with a unique name on this set.</summary>
    public AwsSettings NewDeployment(string prefix) => AwsEmulators.NewDeployment(_endpoints, prefix);

    /// <summary>SIGKILL: the emulator's connections are reset, and it is gone until <see cref="ReviveAsync"/>.</summary>
    public Task KillAsync(Emulator emulator) => SignalAsync("kill", emulator);

    /// <summary>SIGSTOP: requests to it hang (an outage that answers nothing) until <see cref="ResumeAsync"/>.</summary>
    public Task PauseAsync(Emulator emulator) => SignalAsync("pause", emulator);

    /// <summary>SIGCONT after <see cref="PauseAsync"/>: the hung requests are answered.</summary>
    public Task ResumeAsync(Emulator emulator) => SignalAsync("resume", emulator);

    /// <summary>Starts again, on the same ports, each emulator that was killed, and waits until it answers.</summary>
    public Task ReviveAsync() => AwsEmulators.RunScriptAsync(["revive", "--dir", _dir]);

    public async ValueTask DisposeAsync() => await StopAsync(_dir).ConfigureAwait(false);

    private Task SignalAsync(string verb, Emulator emulator) =>
        AwsEmulators.RunScriptAsync([verb, emulator == Emulator.DynamoDb ? "dynamodb" : "fauxqs", "--dir", _dir]);

    private static async Task StopAsync(string dir)
    {
        try
        {
            await AwsEmulators.RunScriptAsync(["stop", "--dir", dir]).ConfigureAwait(false);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
