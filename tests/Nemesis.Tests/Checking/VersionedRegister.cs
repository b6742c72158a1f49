using ZkGateway.Nemesis.History;

namespace ZkGateway.Nemesis.Checking;

/// <summary>A znode's data as the model sees it: its value and its data version.</summary>
public readonly record struct RegisterState(string? Value, int Version);

/// <summary>
/// The sequential specification of one znode under setData and getData: a register whose version
/// grows by one with every write that applies. An operation whose outcome is unknown is only ever
/// linearized as the version of it that applied (one that did not apply is the same as leaving it out).
/// </summary>
public static class VersionedRegister
{
    /// <summary>Whether <paramref name="op"/> can take effect on <paramref name="state"/>, and the state after it.</summary>
    public static bool Step(RegisterState state, Operation op, out RegisterState next)
    {
        next = state;
        switch (op.Kind)
        {
            case OpKind.Read:
                return op.Outcome == Outcome.Ok && state.Value == op.Value && state.Version == op.Version;
            case OpKind.Write:
                next = new RegisterState(op.Value, state.Version + 1);
                return op.Outcome == Outcome.Unknown || next.Version == op.Version;
            case OpKind.Cas when op.Outcome == Outcome.Failed:
                return state.Version != op.ExpectedVersion;
            case OpKind.Cas:
                next = new RegisterState(op.Value, op.ExpectedVersion + 1);
                return state.Version == op.ExpectedVersion && (op.Outcome == Outcome.Unknown || op.Version == next.Version);
            default:
                return false;
        }
    }
}
