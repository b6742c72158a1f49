using System.Text;
using Xunit.Sdk;

namespace ZkGateway.Compat.Infrastructure;

public static class Transcripts
{
    /// <summary>
    /// Compares a transcript with its pinned copy, <c>expected/&lt;fileName&gt;</c>. With
    /// COMPAT_WRITE_EXPECTED=1 a transcript from real ZooKeeper (<paramref name="fromZooKeeper"/>) first
    /// rewrites that file: review the diff before committing it. Returns the pinned transcript.
    /// </summary>
    public static string[] AssertPinned(string fileName, ScenarioResult result, string what, bool fromZooKeeper = true)
    {
        var file = Path.Combine(RepoPaths.ExpectedDir, fileName);
        if (fromZooKeeper && Environment.GetEnvironmentVariable("COMPAT_WRITE_EXPECTED") == "1")
        {
            File.WriteAllLines(file, result.Transcript);
        }
        if (!File.Exists(file))
        {
            throw new XunitException($"{what}: no expected transcript {file}; the run printed:\n{result.Describe()}");
        }
        var expected = File.ReadAllLines(file);
        AssertSame(expected, result, $"{what}: the transcript differs from {file}");
        return expected;
    }

    /// <summary>Fails with the first differing line and both transcripts side by side.</summary>
    public static void AssertSame(IReadOnlyList<string> expected, ScenarioResult actual, string what)
    {
        var a = actual.Transcript;
        var first = -1;
        for (var i = 0; i < Math.Max(expected.Count, a.Count); i++)
        {
            if (i >= expected.Count || i >= a.Count || expected[i] != a[i])
            {
                first = i;
                break;
            }
        }

        if (first < 0 && actual.ExitCode == 0)
        {
            return;
        }

        var sb = new StringBuilder();
        sb.AppendLine(what);
        if (first >= 0)
        {
            sb.AppendLine($"first difference at line {first + 1}:");
            sb.AppendLine($"  expected: {(first < expected.Count ? expected[first] : "<end>")}");
            sb.AppendLine($"  actual:   {(first < a.Count ? a[first] : "<end>")}");
        }

        sb.AppendLine("--- expected ---");
        sb.AppendLine(string.Join('\n', expected));
        sb.AppendLine("--- actual ---");
        sb.AppendLine(actual.Describe());
        throw new XunitException(sb.ToString());
    }
}
