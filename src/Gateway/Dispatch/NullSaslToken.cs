using ZkGateway.Jute;

namespace ZkGateway.Gateway.Dispatch;

/// <summary>The sasl reply of a server without SASL: a null token (buffer length -1).</summary>
internal sealed class NullSaslToken : IJuteRecord
{
    public static readonly NullSaslToken Instance = new();

    public void Write(ref JuteWriter writer) => writer.WriteBuffer((byte[]?)null);
}
