using ChatCluster.Integration.Tests.ClusterMode;
using ChatCluster.Silo.Hosting.Database;

namespace ChatCluster.Integration.Tests.Durable;

/// <summary>What the chat path writes to PostgreSQL besides the message log (issue 12, item 2).</summary>
public sealed class ChatPathWritesTests : IAsyncLifetime
{
    private readonly PostgresFixture postgres = new();

    public async Task InitializeAsync()
    {
        await postgres.InitializeAsync();
        await new DatabaseMigrator().MigrateAsync(postgres.ConnectionString);
    }

    public Task DisposeAsync() => postgres.DisposeAsync();

    [Fact]
    public async Task Read_marks_of_every_message_are_saved_together_a_few_seconds_later_not_once_per_mark()
    {
        await using var cluster = await DurableCluster.Start(postgres.ConnectionString);
        var (visitor, conversationId) = await cluster.Visitor();
        await using var _ = visitor;
        for (var i = 1; i <= 6; i++) await visitor.SendMessage(conversationId, $"m-{i}", $"message {i}");
        var before = await StateVersion(conversationId);

        for (var seq = 1; seq <= 6; seq++) await visitor.Send(new { type = "read", conversationId, seq });
        await Wait.For(visitor, "read", f => (long?)f["seq"] == 6);
        var rightAfter = await StateVersion(conversationId);
        await Wait.Until(async () => await StateVersion(conversationId) > rightAfter, "the read marks to be saved", TimeSpan.FromSeconds(30));

        Assert.True(rightAfter <= before + 1, $"six read marks wrote the conversation's state {rightAfter - before} times at once");
        Assert.Equal(before + 1, await StateVersion(conversationId));
    }

    private Task<long> StateVersion(string conversationId) =>
        Sql.ScalarAsync<long>(postgres.ConnectionString, "SELECT max(version) FROM orleans_storage WHERE grain_id_extension = @key",
            ("key", GrainKeys.Scoped(DurableCluster.TenantId, conversationId)));
}
