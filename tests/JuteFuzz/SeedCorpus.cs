using System.Reflection;
using ZkGateway.Jute.Tests.Golden;

namespace ZkGateway.JuteFuzz;

/// <summary>
/// The starting corpus of each target, made from the client frames captured from real clients talking
/// to ZooKeeper 3.8.0 (tests/Jute.Tests/Golden/GoldenFrames.cs): each request alone, each client's
/// session as one stream (handshake first), split in one piece and in many, and the four-letter words.
/// </summary>
public static class SeedCorpus
{
    /// <summary>Every captured client frame, by its name in GoldenFrames, prefix included.</summary>
    public static IReadOnlyList<(string Name, byte[] Frame)> ClientFrames() =>
        [.. typeof(GoldenFrames).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && f.Name.Contains("Request", StringComparison.Ordinal))
            .Select(f => (f.Name, Convert.FromHexString((string)f.GetRawConstantValue()!)))];

    public static IEnumerable<(string Target, string Name, byte[] Input)> All()
    {
        var frames = ClientFrames();
        foreach (var (name, frame) in frames)
        {
            yield return ("frames", name, [0, .. frame]);
            if (!name.Contains("Connect", StringComparison.Ordinal))
            {
                yield return ("records", name, frame[4..]);
            }
        }
        foreach (var client in new[] { "Kazoo", "Java", "Api", "Raw" })
        {
            var session = frames.Where(f => f.Name.StartsWith(client, StringComparison.Ordinal))
                .OrderBy(f => f.Name.Contains("Connect", StringComparison.Ordinal) ? 0 : 1)
                .SelectMany(f => f.Frame).ToArray();
            yield return ("frames", client + "Session", [0, .. session]);
            yield return ("frames", client + "SessionSplit", [7, .. session]);
            // The Api captures have no handshake of their own: give them kazoo's.
            byte[] stream = client == "Api" ? [.. frames.First(f => f.Name == nameof(GoldenFrames.KazooConnectRequest)).Frame, .. session] : session;
            yield return ("handshake", client + "Session", [0, .. stream]);
            yield return ("handshake", client + "SessionSplit", [7, .. stream]);
        }
        yield return ("handshake", "ruok", [0, .. "ruok"u8]);
        yield return ("handshake", "stmk", [0, .. "stmk"u8, 0, 0, 0, 0, 0, 0, 0, 0xff]);
        yield return ("handshake", "stmk-short", [0, .. "stmk"u8, 0, 0, 1]);
    }

    public static void WriteTo(string directory)
    {
        foreach (var (target, name, input) in All())
        {
            string folder = Path.Combine(directory, target);
            Directory.CreateDirectory(folder);
            File.WriteAllBytes(Path.Combine(folder, name), input);
        }
    }
}
