using ZkGateway.Gateway.Hosting;

namespace ZkGateway.Gateway.Tests.Hosting;

public sealed class GatewayOptionsTests
{
    [Theory]
    [InlineData(0, 4000)]
    [InlineData(3999, 4000)]
    [InlineData(4000, 4000)]
    [InlineData(30000, 30000)]
    [InlineData(40000, 40000)]
    [InlineData(100000, 40000)]
    [InlineData(-7, 4000)]
    public void ClampSessionTimeout_DefaultsAre2And20Ticks(int requested, int expected) =>
        Assert.Equal(expected, new GatewayOptions().ClampSessionTimeout(requested));

    [Fact]
    public void ClampSessionTimeout_ExplicitBounds()
    {
        var o = new GatewayOptions { TickTime = 500, MinSessionTimeout = 100, MaxSessionTimeout = 200 };
        Assert.Equal(100, o.ClampSessionTimeout(1));
        Assert.Equal(150, o.ClampSessionTimeout(150));
        Assert.Equal(200, o.ClampSessionTimeout(1000));
        o.MaxSessionTimeout = -1;
        Assert.Equal(10000, o.EffectiveMaxSessionTimeout);
    }
}
