namespace ChatCluster;

/// <summary>Names of the Orleans stream provider and namespaces that carry events out of the cluster (C5).</summary>
public static class ChatStreams
{
    public const string Provider = "chat";

    /// <summary>One stream per conversation, keyed by the tenant-scoped conversation key.</summary>
    public const string ConversationNamespace = "conversation";

    /// <summary>One stream per tenant: inbox changes for that tenant's agents.</summary>
    public const string InboxNamespace = "inbox";
}
