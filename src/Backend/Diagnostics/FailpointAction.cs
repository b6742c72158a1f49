using System.Diagnostics;

namespace ZkGateway.Backend.Diagnostics;

/// <summary>
/// What an armed failpoint does when hit: <c>kill</c> (the process ends at once, as a crashed Lambda or
/// container: SIGKILL, no clean-up), <c>pause(file)</c> (while the file exists, wait; see
/// <see cref="Pause"/>) or <c>fail(file)</c> (while the file exists, throw an I/O error; see <see cref="Fail"/>).
/// </summary>
internal abstract class FailpointAction
{
    public abstract ValueTask RunAsync(string point, CancellationToken cancellationToken);

    public static FailpointAction Parse(string action)
    {
        if (action == "kill")
        {
            return new Kill();
        }
        const string PausePrefix = "pause(";
        if (action.StartsWith(PausePrefix, StringComparison.Ordinal) && action.EndsWith(')') && action.Length > PausePrefix.Length + 1)
        {
            return new Pause(action[PausePrefix.Length..^1]);
        }
        const string FailPrefix = "fail(";
        if (action.StartsWith(FailPrefix, StringComparison.Ordinal) && action.EndsWith(')') && action.Length > FailPrefix.Length + 1)
        {
            return new Fail(action[FailPrefix.Length..^1]);
        }
        throw new ArgumentException($"Failpoint action '{action}': expected kill, pause(file) or fail(file).", nameof(action));
    }

    /// <summary>Ends the process with SIGKILL.</summary>
    internal sealed class Kill : FailpointAction
    {
        public override ValueTask RunAsync(string point, CancellationToken cancellationToken)
        {
            // The one line failpoints write, to stderr: a process about to SIGKILL itself has no logging
            // pipeline left to flush, and the test that armed the point reads this line to know it was hit.
            Console.Error.WriteLine($"failpoint {point}: kill (process {Environment.ProcessId})");
            Console.Error.Flush();
            Process.GetCurrentProcess().Kill();
            return ValueTask.CompletedTask;
        }
    }

    /// <summary>
    /// While <see cref="HoldFile"/> exists, waits (polling). Creates "&lt;file&gt;.held" when it starts
    /// waiting, so that the test knows the point was reached, and goes on when that file is deleted
    /// (this hit only) or the file itself is (every hit); it deletes "&lt;file&gt;.held" when it goes on.
    /// Cancellation ends the wait with an <see cref="OperationCanceledException"/>.
    /// </summary>
    internal sealed class Pause(string file) : FailpointAction
    {
        /// <summary>How often the files are looked at: far below the delays tests measure.</summary>
        private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(20);

        public string HoldFile { get; } = file;

        public override async ValueTask RunAsync(string point, CancellationToken cancellationToken)
        {
            if (!File.Exists(HoldFile))
            {
                return;
            }
            string held = HoldFile + ".held";
            try
            {
                await File.WriteAllTextAsync(held, point, cancellationToken).ConfigureAwait(false);
                while (File.Exists(HoldFile) && File.Exists(held))
                {
                    await Task.Delay(Poll, cancellationToken).ConfigureAwait(false);
                }
            }
            finally
            {
                File.Delete(held);
            }
        }
    }

    /// <summary>
    /// While <see cref="TriggerFile"/> exists, every hit throws an <see cref="IOException"/>, as the
    /// system call at the point would (an fsync's EIO). The first hit that throws creates
    /// "&lt;file&gt;.hit", so that the test knows the failure happened.
    /// </summary>
    internal sealed class Fail(string file) : FailpointAction
    {
        public string TriggerFile { get; } = file;

        public override ValueTask RunAsync(string point, CancellationToken cancellationToken)
        {
            if (!File.Exists(TriggerFile))
            {
                return ValueTask.CompletedTask;
            }
            if (!File.Exists(TriggerFile + ".hit"))
            {
                File.WriteAllText(TriggerFile + ".hit", point);
            }
            throw new IOException($"failpoint {point}: injected I/O error");
        }
    }
}
