namespace ZkGateway.Backend.Primitives;

/// <summary>The channel from functions back to a gateway (its inbox): write replies.</summary>
public interface IGatewayChannel
{
    void SendReply(ReplyAddress address, WriteResult result);
}
