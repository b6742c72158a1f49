namespace ZkGateway.Compat.Infrastructure;

/// <summary>A real ZooKeeper (-Dzookeeper.enforceQuota=true) and a gateway (--zookeeper.enforceQuota=true) that enforce quotas.</summary>
public sealed class QuotaEnforcementFixture() : CompatFixture([new("zookeeper.enforceQuota", "true")]);

[CollectionDefinition(Name)]
public sealed class QuotaEnforcementCollection : ICollectionFixture<QuotaEnforcementFixture>
{
    public const string Name = "compat-quota-enforcement";
}
