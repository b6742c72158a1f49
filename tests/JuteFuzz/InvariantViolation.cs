namespace ZkGateway.JuteFuzz;

/// <summary>
/// A fuzz target's invariant broken. Any exception other than JuteFormatException (the documented way
/// malformed input is refused) escaping a target is a finding; this one says which rule broke.
/// </summary>
public sealed class InvariantViolation(string message) : Exception(message)
{
    public static void Check(bool condition, string rule)
    {
        if (!condition)
        {
            throw new InvariantViolation(rule);
        }
    }
}
