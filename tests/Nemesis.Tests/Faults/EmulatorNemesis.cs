using System.Diagnostics;
using ZkGateway.Compat.Infrastructure;
using ZkGateway.Testing;
using static ZkGateway.Testing.PrivateEmulators;

namespace ZkGateway.Nemesis.Faults;

/// <summary>
/// The cloud itself fails, for every process of the deployment at once (issue 17: "SIGKILL and restart
/// … emulators"), on an emulator set of the run's own:
/// <list type="bullet">
/// <item>DynamoDB killed (SIGKILL of DynamoDB Local, whose tables are on disk), then started again: every
/// request in flight is reset, those that committed included, and the system storage (locks, the
/// zxid counter, sessions) is gone until it is back.</item>
/// <item>SQS and S3 stopped (SIGSTOP of fauxqs), then continued: every queue and object request hangs
/// for the fault's length, past the receive lease and the sessions' timeout in some faults, and is
/// answered after it.</item>
/// </list>
/// fauxqs is stopped rather than killed: it keeps its queues and objects in memory only, and SQS and
/// S3 do not lose what they acknowledged. The target is the gateway that runs the function host.
/// </summary>
public sealed class EmulatorNemesis(Emulator emulator) : INemesis
{
    private readonly List<string> _notes = [];
    private PrivateEmulators? _emulators;
    private long _faultedAt;
    private bool _faulted;

    public string Name => emulator == Emulator.DynamoDb ? "DynamoDB kill" : "SQS and S3 stop";

    public int ShortModeFaults => 2;

    public bool NextFaultAfterRecovery => true;

    /// <summary>For a kill, recovery counts from DynamoDB's return: its own start is not the gateway's to shorten.</summary>
    public bool RecoveryFromHealed => emulator == Emulator.DynamoDb;

    // A killed DynamoDB Local is down for this plus its start (a JVM, 2–4 s here); a stop lasts this
    // long, around the sessions' timeout (4 s).
    public TimeSpan Hold(Random random) =>
        TimeSpan.FromMilliseconds(emulator == Emulator.DynamoDb ? 200 + random.Next(1000) : 1000 + random.Next(4000));

    public async Task PrepareAsync(ProcessZkTarget target)
    {
        var host = FunctionHostKillNemesis.Host(target);
        _emulators = await PrivateEmulators.StartAsync(persistentDynamoDb: emulator == Emulator.DynamoDb);
        host.UseDeployment(_emulators.NewDeployment("emu"));
    }

    public async Task InjectAsync(ProcessZkTarget target)
    {
        _faultedAt = Stopwatch.GetTimestamp();
        await (emulator == Emulator.DynamoDb ? Emulators.KillAsync(emulator) : Emulators.PauseAsync(emulator));
        _faulted = true;
    }

    public async Task HealAsync(ProcessZkTarget target)
    {
        if (!_faulted)
        {
            return;
        }
        _faulted = false;
        if (emulator == Emulator.DynamoDb)
        {
            await Emulators.ReviveAsync();
            _notes.Add($"DynamoDB back {Stopwatch.GetElapsedTime(_faultedAt).TotalSeconds:0.0} s after the kill");
        }
        else
        {
            await Emulators.ResumeAsync(emulator);
            _notes.Add($"fauxqs stopped for {Stopwatch.GetElapsedTime(_faultedAt).TotalSeconds:0.0} s");
        }
    }

    public async Task CleanUpAsync(ProcessZkTarget target)
    {
        if (_emulators is { } emulators)
        {
            _emulators = null;
            if (_faulted && emulator == Emulator.Fauxqs)
            {
                // A stopped process would hold up the set's stop.
                await emulators.ResumeAsync(emulator);
            }
            await emulators.DisposeAsync();
        }
    }

    public IReadOnlyList<string> Notes => _notes;

    private PrivateEmulators Emulators => _emulators ?? throw new InvalidOperationException("not prepared");
}
