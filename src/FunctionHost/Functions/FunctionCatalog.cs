namespace ZkGateway.FunctionHost.Functions;

/// <summary>
/// The functions this executable can run, by name. Lambda passes the function's <c>Handler</c> setting in
/// the <c>_HANDLER</c> variable; deploy/aws/template.yaml sets it to "writer", "distributor" or
/// "heartbeat", so one zip serves all three functions.
/// </summary>
public static class FunctionCatalog
{
    /// <summary>The variable Lambda sets from the function's Handler setting.</summary>
    public const string HandlerVariable = "_HANDLER";

    // Factories, not instances: only the selected function is constructed (its AWS clients, caches…),
    // once per process, during Lambda's init phase.
    private static readonly Dictionary<string, Func<IFunctionHandler>> Factories = new(StringComparer.Ordinal)
    {
        [EchoFunction.HandlerName] = static () => new EchoFunction(),
        // The backend's functions are added here (issue 3), e.g.
        //   ["writer"]      = () => new SqsBatchFunction("writer", …WriterFunction over the AWS provider set…),
        //   ["distributor"] = () => new SqsBatchFunction("distributor", …),
        //   ["heartbeat"]   = () => new ScheduledFunction("heartbeat", …),
    };

    public static IReadOnlyCollection<string> Names => Factories.Keys;

    /// <summary>
    /// Creates the named function. Returns false for an unknown name; a factory's own exception (a bad
    /// configuration, say) propagates.
    /// </summary>
    public static bool TryCreate(string name, out IFunctionHandler? handler)
    {
        if (Factories.TryGetValue(name, out var factory))
        {
            handler = factory();
            return true;
        }
        handler = null;
        return false;
    }
}
