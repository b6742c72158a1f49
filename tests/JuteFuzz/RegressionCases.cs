namespace ZkGateway.JuteFuzz;

/// <summary>
/// Inputs the fuzzer found that broke a target, minimized and kept as hex under regressions/TARGET/NAME.hex
/// (whitespace ignored, so a case can be wrapped and commented with lines starting with #).
/// </summary>
public static class RegressionCases
{
    public static IEnumerable<(string Target, string Name, byte[] Input)> Load(string directory)
    {
        if (!Directory.Exists(directory))
        {
            yield break;
        }
        foreach (var folder in Directory.GetDirectories(directory).Order(StringComparer.Ordinal))
        {
            foreach (var file in Directory.GetFiles(folder, "*.hex").Order(StringComparer.Ordinal))
            {
                yield return (Path.GetFileName(folder), Path.GetFileNameWithoutExtension(file), Parse(File.ReadAllLines(file)));
            }
        }
    }

    public static byte[] Parse(IEnumerable<string> lines) =>
        Convert.FromHexString(string.Concat(lines.Where(l => !l.TrimStart().StartsWith('#')).Select(l => string.Concat(l.Where(c => !char.IsWhiteSpace(c))))));

    /// <summary>The regressions folder next to the binaries (copied at build), else in the source tree.</summary>
    public static string DefaultDirectory()
    {
        string beside = Path.Combine(AppContext.BaseDirectory, "regressions");
        if (Directory.Exists(beside))
        {
            return beside;
        }
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string source = Path.Combine(dir.FullName, "tests", "JuteFuzz", "regressions");
            if (Directory.Exists(source))
            {
                return source;
            }
        }
        return beside;
    }
}
