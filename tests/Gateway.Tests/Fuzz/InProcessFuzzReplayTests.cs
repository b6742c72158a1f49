using ZkGateway.JuteFuzz;

namespace ZkGateway.Gateway.Tests.Fuzz;

/// <summary>
/// The coverage-guided targets of tests/JuteFuzz (frame reader, request decoders, handshake), run
/// without AFL on their seed corpus and on every regression case the fuzzer found: each must keep
/// every invariant of its target (only JuteFormatException, the framing and progress rules, the
/// allocation bound). scripts/fuzz-inprocess.sh runs the same targets under afl-fuzz.
/// </summary>
public sealed class InProcessFuzzReplayTests
{
    public static TheoryData<string, string> Seeds()
    {
        var data = new TheoryData<string, string>();
        foreach (var (target, name, _) in SeedCorpus.All())
        {
            data.Add(target, name);
        }
        return data;
    }

    public static TheoryData<string, string> Regressions()
    {
        var data = new TheoryData<string, string>();
        foreach (var (target, name, _) in RegressionCases.Load(RegressionCases.DefaultDirectory()))
        {
            data.Add(target, name);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void A_seed_keeps_every_invariant(string target, string name) =>
        FuzzTargets.Run(target, SeedCorpus.All().Single(s => s.Target == target && s.Name == name).Input);

    [Theory]
    [MemberData(nameof(Regressions))]
    public void A_regression_case_keeps_every_invariant(string target, string name) =>
        FuzzTargets.Run(target, RegressionCases.Load(RegressionCases.DefaultDirectory()).Single(s => s.Target == target && s.Name == name).Input);

    [Fact]
    public void Every_target_has_seeds_and_the_regressions_are_found()
    {
        Assert.Equal(FuzzTargets.ByName.Keys.Order(), SeedCorpus.All().Select(s => s.Target).Distinct().Order());
        Assert.True(Directory.Exists(RegressionCases.DefaultDirectory()), RegressionCases.DefaultDirectory());
    }
}
