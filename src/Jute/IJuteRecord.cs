namespace ZkGateway.Jute;

/// <summary>A record of zookeeper.jute: its fields in schema order, no tags.</summary>
public interface IJuteRecord
{
    void Write(ref JuteWriter writer);
}

/// <summary>A record that can be decoded from a frame payload.</summary>
public interface IJuteReadable<TSelf> where TSelf : IJuteReadable<TSelf>
{
    static abstract TSelf Read(ref JuteReader reader);
}
