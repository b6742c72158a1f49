namespace ZkGateway.Gateway.Admin;

/// <summary>
/// One AdminServer command as 3.8.0's CommandBase defines it: a primary name, its aliases, whether it
/// needs a running server, and the fields it answers with (before <c>command</c> and <c>error</c>).
/// </summary>
public sealed record AdminCommand(
    string PrimaryName,
    IReadOnlyList<string> Aliases,
    bool ServerRequired,
    Func<AdminRequest, IEnumerable<KeyValuePair<string, object?>>> Run);
