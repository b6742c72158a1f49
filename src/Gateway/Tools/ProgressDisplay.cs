using Spectre.Console;

namespace ZkGateway.Gateway.Tools;

/// <summary>
/// A progress bar on the operator's terminal (standard error) while a long step runs; nothing when
/// standard error is redirected, so logs and scripts see only the result lines.
/// </summary>
internal static class ProgressDisplay
{
    /// <summary>Runs <paramref name="work"/>, which reports (done, total) through the callback it is given.</summary>
    public static T Run<T>(string description, Func<Action<long, long>, T> work)
    {
        if (Console.IsErrorRedirected)
        {
            return work((_, _) => { });
        }
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        if (!console.Profile.Capabilities.Interactive)
        {
            return work((_, _) => { });
        }
        return console.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                var task = context.AddTask(description);
                return work((done, total) =>
                {
                    task.MaxValue = Math.Max(1, total);
                    task.Value = Math.Min(done, total);
                });
            });
    }

    /// <summary><see cref="Run"/> for asynchronous work (an import into a cloud deployment).</summary>
    public static async Task<T> RunAsync<T>(string description, Func<Action<long, long>, Task<T>> work)
    {
        if (Console.IsErrorRedirected)
        {
            return await work((_, _) => { }).ConfigureAwait(false);
        }
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        if (!console.Profile.Capabilities.Interactive)
        {
            return await work((_, _) => { }).ConfigureAwait(false);
        }
        return await console.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask(description);
                return await work((done, total) =>
                {
                    task.MaxValue = Math.Max(1, total);
                    task.Value = Math.Min(done, total);
                }).ConfigureAwait(false);
            }).ConfigureAwait(false);
    }
}
