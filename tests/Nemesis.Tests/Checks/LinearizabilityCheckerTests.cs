using ZkGateway.Nemesis.Checking;
using ZkGateway.Nemesis.History;

namespace ZkGateway.Nemesis.Checks;

/// <summary>
/// The checker catches what it exists to catch (a stale read, a lost write, a double compare-and-set,
/// an effect before its invocation) and accepts valid concurrent histories, unknown outcomes included.
/// Times are small integers: only their order matters.
/// </summary>
public sealed class LinearizabilityCheckerTests
{
    private static readonly RegisterState Initial = new("init", 0);

    private static int _id;

    private static Operation Read(long from, long to, string value, int version) =>
        new(Interlocked.Increment(ref _id), 0, "/k", OpKind.Read, Outcome.Ok, from, to, value, -1, version);

    private static Operation Write(long from, long? to, string value, int newVersion = -1) =>
        new(Interlocked.Increment(ref _id), 1, "/k", OpKind.Write, to is null ? Outcome.Unknown : Outcome.Ok, from, to, value, -1, newVersion);

    private static Operation Cas(long from, long? to, int expected, string value, Outcome outcome) =>
        new(Interlocked.Increment(ref _id), 2, "/k", OpKind.Cas, outcome, from, outcome == Outcome.Unknown ? null : to, value, expected,
            outcome == Outcome.Ok ? expected + 1 : -1);

    private static KeyVerdict Check(params Operation[] ops) => LinearizabilityChecker.CheckKey("/k", ops, Initial);

    [Fact]
    public void A_stale_read_after_an_acknowledged_write_is_a_violation()
    {
        var verdict = Check(Write(1, 2, "a", 1), Read(3, 4, "init", 0));
        Assert.False(verdict.Linearizable);
        Assert.Contains("read", verdict.Explanation);
    }

    [Fact]
    public void A_lost_write_is_a_violation()
    {
        // "a" was acknowledged as version 1, then a later write is given version 1 again and reads see
        // only it: what a store that dropped an acknowledged record after a crash would show.
        var verdict = Check(Write(1, 2, "a", 1), Write(3, 4, "b", 1), Read(5, 6, "b", 1));
        Assert.False(verdict.Linearizable);
    }

    [Fact]
    public void Two_compare_and_sets_on_the_same_version_cannot_both_succeed()
    {
        var verdict = Check(Cas(1, 4, 0, "a", Outcome.Ok), Cas(2, 3, 0, "b", Outcome.Ok));
        Assert.False(verdict.Linearizable);
    }

    [Fact]
    public void A_failed_compare_and_set_needs_another_version_at_its_point()
    {
        var verdict = Check(Cas(1, 2, 0, "a", Outcome.Failed), Read(3, 4, "init", 0));
        Assert.False(verdict.Linearizable);
    }

    [Fact]
    public void Concurrent_compare_and_sets_where_one_wins_are_linearizable()
    {
        var verdict = Check(
            Cas(1, 5, 0, "a", Outcome.Failed),
            Cas(2, 4, 0, "b", Outcome.Ok),
            Read(3, 6, "init", 0), // concurrent with the winner: may see before it
            Read(7, 8, "b", 1));
        Assert.True(verdict.Linearizable, verdict.Explanation);
    }

    [Fact]
    public void A_read_concurrent_with_a_write_may_see_either_side()
    {
        Assert.True(Check(Write(1, 4, "a", 1), Read(2, 3, "a", 1), Read(5, 6, "a", 1)).Linearizable);
        Assert.True(Check(Write(1, 4, "a", 1), Read(2, 3, "init", 0), Read(5, 6, "a", 1)).Linearizable);
        // ... but not go back once a read saw the new value.
        Assert.False(Check(Write(1, 10, "a", 1), Read(2, 3, "a", 1), Read(4, 5, "init", 0)).Linearizable);
    }

    [Fact]
    public void An_unknown_write_may_have_applied_or_not()
    {
        Assert.True(Check(Write(1, null, "a"), Read(5, 6, "a", 1)).Linearizable);
        Assert.True(Check(Write(1, null, "a"), Read(5, 6, "init", 0)).Linearizable);
        // Applied late, long after its client gave up: still allowed.
        Assert.True(Check(Write(1, null, "a"), Read(5, 6, "init", 0), Write(7, 8, "b", 1), Read(9, 10, "a", 2)).Linearizable);
    }

    [Fact]
    public void An_unknown_operation_cannot_take_effect_before_it_was_invoked()
    {
        var verdict = Check(Read(1, 2, "a", 1), Write(3, null, "a"));
        Assert.False(verdict.Linearizable);
    }

    [Fact]
    public void An_unknown_compare_and_set_applies_only_at_its_expected_version()
    {
        Assert.True(Check(Cas(1, null, 0, "a", Outcome.Unknown), Read(3, 4, "a", 1)).Linearizable);
        Assert.False(Check(Write(1, 2, "b", 1), Cas(3, null, 0, "a", Outcome.Unknown), Read(5, 6, "a", 2)).Linearizable);
    }

    [Fact]
    public void Many_concurrent_clients_with_unknown_outcomes_are_checked_within_the_step_budget()
    {
        // Eight clients, each a compare-and-set chain on the version it last saw, every fourth outcome
        // unknown: a valid history, produced by applying the operations in a random order of a sequential run.
        var random = new Random(7);
        var ops = new List<Operation>();
        var state = Initial;
        long t = 0;
        for (int i = 0; i < 400; i++)
        {
            bool unknown = i % 4 == 3;
            bool stale = random.Next(3) == 0;
            int expected = stale ? Math.Max(0, state.Version - 1) : state.Version;
            long invoked = t + 1;
            t += 3;
            bool applies = expected == state.Version;
            if (applies)
            {
                state = new RegisterState($"v{i}", expected + 1);
            }
            var outcome = unknown ? Outcome.Unknown : applies ? Outcome.Ok : Outcome.Failed;
            // Overlapping intervals: each starts before the previous one returns.
            ops.Add(new Operation(i, i % 8, "/k", OpKind.Cas, outcome, invoked - 2, unknown ? null : t, $"v{i}", expected, applies && !unknown ? expected + 1 : -1));
        }
        ops.Add(new Operation(1000, 9, "/k", OpKind.Read, Outcome.Ok, t + 1, t + 2, state.Value, -1, state.Version));
        var verdict = LinearizabilityChecker.CheckKey("/k", ops, Initial);
        Assert.True(verdict.Linearizable, verdict.Explanation);
    }

    [Fact]
    public void Unknown_writes_that_cannot_have_applied_are_left_out_and_the_rest_still_checked()
    {
        // Forty writes of unknown outcome that never applied (every version is known to hold another
        // value), interleaved with a chain of acknowledged compare-and-sets: checked in few steps.
        var ops = new List<Operation>();
        for (int i = 0; i < 40; i++)
        {
            ops.Add(Write(10 * i, null, $"lost-{i}"));
            ops.Add(Cas(10 * i + 1, 10 * i + 2, i, $"c{i}", Outcome.Ok));
        }
        ops.Add(Read(1000, 1001, "c39", 40));
        var verdict = Check([.. ops]);
        Assert.True(verdict.Linearizable, verdict.Explanation);
        Assert.True(verdict.Steps < 10_000, $"{verdict.Steps} steps");

        // The same with a stale read at the end: still caught.
        ops[^1] = Read(1000, 1001, "c38", 39);
        Assert.False(Check([.. ops]).Linearizable);
    }

    [Fact]
    public void An_unknown_write_is_kept_when_a_version_it_may_have_made_is_unaccounted_for()
    {
        // Version 1 is nobody's known write: only the unknown one can have made it.
        Assert.True(Check(Write(1, null, "a"), Cas(3, 4, 1, "b", Outcome.Ok), Read(5, 6, "b", 2)).Linearizable);
    }
}
