using ZkGateway.Gateway.Hosting;

namespace ZkGateway.Gateway.Tools;

/// <summary>
/// The operator commands of the executable, found by their first word. Anything else on the command
/// line (a zoo.cfg path, <c>--key=value</c>) starts the server as before.
/// </summary>
public static class OperatorCommands
{
    /// <summary>Every command, one line each; add a command by adding its instance here.</summary>
    public static readonly IReadOnlyList<IOperatorCommand> All =
    [
        new BackupCommand(),
        new RestoreCommand(),
        new ImportCommand(),
        new ExportCommand(),
        new CompareCommand(),
    ];

    /// <summary>The command that <paramref name="args"/> names, or null when they configure a server.</summary>
    public static IOperatorCommand? Find(string[] args) =>
        args.Length == 0 ? null : All.FirstOrDefault(c => string.Equals(c.Name, args[0], StringComparison.Ordinal));

    /// <summary>The usage lines of every command.</summary>
    public static string Usage() =>
        string.Join(Environment.NewLine, All.Select(c => $"  zkgateway {c.Name,-10} {c.Summary}"));
}
