namespace ZkGateway.Nemesis.Scenarios;

/// <summary>What every nemesis run must show, on any backend.</summary>
internal static class ReportAssertions
{
    /// <param name="sessionsMustSurvive">The fault gives no session a reason to expire.</param>
    public static void Held(RunReport report, bool sessionsMustSurvive)
    {
        Assert.True(report.Faults > 0);
        Assert.True(report.Operations > 0);
        // The watch and ephemeral checks had something to check.
        Assert.True(report.WatchEvents > 0 && report.EphemeralProbes > 0);
        Assert.Empty(report.Violations);
        Assert.Equal(0, report.LostWrites);
        Assert.NotNull(report.MaxRecovery);
        if (sessionsMustSurvive)
        {
            Assert.Equal(0, report.Expiries);
        }
    }
}
