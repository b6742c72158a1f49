using ZkGateway.Jute;
using ZkGateway.Testing;

namespace ZkGateway.Compat.Infrastructure;

/// <summary>What the byte-level scenario classes share: unique node names and a raw client on a target.</summary>
public static class Scenario
{
    /// <summary>A fresh top-level path, so scenarios sharing one server never meet.</summary>
    public static string Unique(string name) => $"/{name}-{Guid.NewGuid():N}";

    /// <summary>A raw client connected to <paramref name="target"/> of <paramref name="fixture"/> (started on first use).</summary>
    public static async Task<RawZkClient> ConnectAsync(this CompatFixture fixture, TargetKind target, int timeoutMs = 10000, bool sendReadOnly = true) =>
        await RawZkClient.ConnectAsync((await fixture.GetAsync(target)).Port, timeoutMs, sendReadOnly: sendReadOnly);
}

/// <summary>A request body given as raw bytes (malformed or hand-built bodies).</summary>
public sealed record RawBody(byte[] Bytes) : IJuteRecord
{
    public void Write(ref JuteWriter writer) => writer.WriteRaw(Bytes);
}
