using System.Diagnostics;
using System.Text;

namespace ZkGateway.Jute.Tests;

/// <summary>
/// <see cref="JavaUtf8"/> against the JVM itself (java is installed with ZooKeeper by scripts/install-test-deps.sh):
/// every string of up to three bytes drawn from the bytes where UTF-8's rules change, and seeded random strings.
/// </summary>
public sealed class JavaUtf8Tests
{
    private static readonly byte[] Edges =
    [
        0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xE1,
        0xEC, 0xED, 0xEE, 0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xF7, 0xF8, 0xFF,
    ];

    [Fact]
    public void Decodes_every_input_as_java_does()
    {
        var inputs = new List<byte[]>();
        foreach (byte a in Edges)
        {
            inputs.Add([a]);
            foreach (byte b in Edges)
            {
                inputs.Add([a, b]);
                inputs.AddRange(Edges.Select(c => new[] { a, b, c }));
            }
        }
        var random = new Random(8);
        for (int i = 0; i < 4000; i++)
        {
            var bytes = new byte[random.Next(4, 12)];
            for (int j = 0; j < bytes.Length; j++)
            {
                bytes[j] = random.Next(3) == 0 ? Edges[random.Next(Edges.Length)] : (byte)random.Next(0x80, 0x100);
            }
            inputs.Add(bytes);
        }

        var java = RunJava(inputs);
        Assert.Equal(inputs.Count, java.Length);
        for (int i = 0; i < inputs.Count; i++)
        {
            string ours = string.Concat(JavaUtf8.Decode(inputs[i]).Select(c => ((int)c).ToString("x4")));
            Assert.True(java[i] == ours, $"{Convert.ToHexString(inputs[i])}: java {java[i]}, ours {ours}");
        }
    }

    [Fact]
    public void An_encoded_surrogate_is_one_replacement_character_where_dotnet_gives_three()
    {
        byte[] path = [0x2F, 0x61, 0xED, 0xA0, 0x80, 0x62];
        Assert.Equal("/a\uFFFDb", JavaUtf8.Decode(path));
        Assert.Equal("/a\uFFFD\uFFFD\uFFFDb", Encoding.UTF8.GetString(path));
    }

    private static string[] RunJava(List<byte[]> inputs)
    {
        string probe = Path.Combine(AppContext.BaseDirectory, "Java", "JavaUtf8Probe.java");
        var start = new ProcessStartInfo("java", [probe])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
        };
        using var process = Process.Start(start) ?? throw new InvalidOperationException("java did not start");
        var output = process.StandardOutput.ReadToEndAsync();
        foreach (var bytes in inputs)
        {
            process.StandardInput.WriteLine(Convert.ToHexStringLower(bytes));
        }
        process.StandardInput.Close();
        process.WaitForExit();
        Assert.Equal(0, process.ExitCode);
        return output.Result.Split('\n', StringSplitOptions.None)[..inputs.Count];
    }
}
