using ZkGateway.Nemesis.Workload;

namespace ZkGateway.Nemesis.Checking;

/// <summary>
/// An ephemeral node is there exactly while its session lives: looked up on its own session (which
/// answered, so it was alive) it must exist and name that session as owner; looked up after the
/// server refused to resume the session (it had expired, and the expiry deleted its ephemerals
/// before the refusal) it must be gone.
/// </summary>
public static class EphemeralCheck
{
    public static IReadOnlyList<string> Check(IEnumerable<EphemeralObservation> observations)
    {
        var violations = new List<string>();
        foreach (var o in observations)
        {
            if (o.OnOwnSession && !o.Exists)
            {
                violations.Add($"p{o.Process}: {o.Path} is missing while its session {o.Owner:x} answers");
            }
            else if (o.OnOwnSession && o.OwnerInStat != o.Owner)
            {
                violations.Add($"p{o.Process}: {o.Path} is owned by {o.OwnerInStat:x}, not by its session {o.Owner:x}");
            }
            else if (!o.OnOwnSession && o.Exists)
            {
                violations.Add($"p{o.Process}: {o.Path} outlived its session {o.Owner:x}, which the server refused to resume");
            }
        }
        return violations;
    }
}
