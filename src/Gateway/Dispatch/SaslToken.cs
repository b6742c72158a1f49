using ZkGateway.Jute;

namespace ZkGateway.Gateway.Dispatch;

/// <summary>SetSASLResponse{buffer token}: the server's SASL token, or null (length -1) when it has none.</summary>
internal sealed class SaslToken(byte[]? token) : IJuteRecord
{
    public void Write(ref JuteWriter writer) => writer.WriteBuffer(token);
}
