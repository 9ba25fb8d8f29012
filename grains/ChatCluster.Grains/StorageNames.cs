namespace ChatCluster.Grains;

/// <summary>Names of the grain storage providers the silo host must register.</summary>
public static class StorageNames
{
    /// <summary>Durable grain state of tenants, visitors and conversations.</summary>
    public const string Chat = "chat";

    /// <summary>Orleans' stream pub-sub bookkeeping.</summary>
    public const string PubSub = "PubSubStore";
}
