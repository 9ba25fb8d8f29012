namespace ChatCluster.Grains.Tests;

/// <summary>
/// Every retention test shares one cluster and one fake clock. The clock only moves forward and each test
/// works in its own tenant, so the tests run one after another without disturbing each other.
/// </summary>
[CollectionDefinition(Name)]
public sealed class RetentionCollection : ICollectionFixture<RetentionCluster>
{
    public const string Name = "retention";
}
