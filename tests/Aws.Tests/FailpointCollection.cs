namespace ZkGateway.Aws.Tests;

/// <summary>
/// Tests that arm a failpoint for every instance of a function in this process (docs/failpoints.md):
/// they run alone, after the parallel collections, so that no other test's function meets the point.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FailpointCollection
{
    public const string Name = "failpoints";
}
