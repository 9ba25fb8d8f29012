using ChatCluster.Grains.Privacy;
using ChatCluster.Privacy;
using ChatCluster.Visitors;

namespace ChatCluster.Grains.Tests;

/// <summary>
/// R5 self-service after an <c>EmailIndexKey</c> change: the old records are orphaned (and deleted by the operator),
/// the rebuild files every visitor who gave an email under the record for the current key.
/// </summary>
[Collection(RetentionCollection.Name)]
public sealed class EmailIndexRebuildTests(RetentionCluster cluster)
{
    [Fact]
    public async Task An_orphaned_index_is_rebuilt_from_the_visitors_idempotently_page_by_page()
    {
        var tenantId = await cluster.NewTenant();
        var chat = await cluster.NewChat(tenantId);
        var anonymousId = Ids.NewVisitorId();
        await cluster.Grains.GetGrain<IVisitorGrain>(GrainKeys.Scoped(tenantId, anonymousId))
            .Register(new ConnectionDetails("192.0.2.1", "test", null)); // gave no email
        var record = cluster.Grains.GetGrain<ISelfServiceGrain>(cluster.EmailIndex.Scoped(tenantId, Chat.Email));
        Assert.Equal([chat.VisitorId], (await cluster.StoredState<SelfServiceState>(record, "self-service")).State.VisitorIds);

        await record.Purge([]); // what a key change amounts to: the record for the current key is not there
        Assert.False((await cluster.StoredState<SelfServiceState>(record, "self-service")).Exists);

        var protection = cluster.Grains.GetGrain<IDataProtectionGrain>(tenantId);
        Assert.Equal(new EmailIndexRebuild(2, 1, null), await protection.RebuildEmailIndex(null));
        Assert.Equal([chat.VisitorId], (await cluster.StoredState<SelfServiceState>(record, "self-service")).State.VisitorIds);
        Assert.Equal(new EmailIndexRebuild(2, 1, null), await protection.RebuildEmailIndex(null)); // again: nothing doubles
        Assert.Equal([chat.VisitorId], (await cluster.StoredState<SelfServiceState>(record, "self-service")).State.VisitorIds);

        // Pages go by visitor id: after the smaller id only the larger one is left.
        var ids = new[] { chat.VisitorId, anonymousId }.Order(StringComparer.Ordinal).ToArray();
        var rest = await protection.RebuildEmailIndex(ids[0]);
        Assert.Equal((1, ids[1] == chat.VisitorId ? 1 : 0, (string?)null), (rest.Visitors, rest.Indexed, rest.Next));
        Assert.Equal(0, (await protection.RebuildEmailIndex(ids[1])).Visitors);
    }

    [Fact]
    public async Task An_unknown_tenant_is_not_found()
    {
        var ex = await Assert.ThrowsAsync<ChatRuleException>(() => cluster.Grains.GetGrain<IDataProtectionGrain>("no-such-" + Ids.Random(6)).RebuildEmailIndex(null));
        Assert.Equal(ErrorCodes.NotFound, ex.Code);
    }
}
