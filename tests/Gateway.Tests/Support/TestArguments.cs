namespace ZkGateway.Gateway.Tests.Support;

/// <summary>Command-line keys the in-process hosts of these tests share.</summary>
public static class TestArguments
{
    /// <summary>The AdminServer is on by default on port 8080; hosts started side by side keep it off.</summary>
    public const string NoAdmin = "--admin.enableServer=false";
}
