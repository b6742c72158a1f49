namespace ZkGateway.Nemesis.Faults;

/// <summary>The Linux signal numbers the pause nemeses send (Net.Signal takes numbers).</summary>
internal static class Signals
{
    public const int Stop = 19;
    public const int Cont = 18;
}
