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
    public void Session_timeouts_are_clamped_to_two_and_twenty_ticks_by_default(int requested, int expected) =>
        Assert.Equal(expected, new GatewayOptions().ClampSessionTimeout(requested));

    [Fact]
    public void Explicit_session_timeout_bounds_replace_the_tick_based_ones()
    {
        var o = new GatewayOptions { TickTime = 500, MinSessionTimeout = 100, MaxSessionTimeout = 200 };
        Assert.Equal(100, o.ClampSessionTimeout(1));
        Assert.Equal(150, o.ClampSessionTimeout(150));
        Assert.Equal(200, o.ClampSessionTimeout(1000));
        o.MaxSessionTimeout = -1;
        Assert.Equal(10000, o.EffectiveMaxSessionTimeout);
    }
}
