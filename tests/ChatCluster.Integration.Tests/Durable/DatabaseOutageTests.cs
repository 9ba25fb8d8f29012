using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json.Nodes;
using ChatCluster.Silo.Hosting.Database;

namespace ChatCluster.Integration.Tests.Durable;

/// <summary>
/// Database faults are errors, not disconnects (issue 12, item 3): the PostgreSQL server under a silo stops for five
/// seconds in the middle of a chat and comes back.
/// </summary>
public sealed class DatabaseOutageTests : IAsyncLifetime
{
    private readonly PostgresServer server = new();

    public async Task InitializeAsync()
    {
        await server.Start();
        await new DatabaseMigrator().MigrateAsync(server.ConnectionString("migrate"));
    }

    public async Task DisposeAsync() => await server.DisposeAsync();

    [Fact]
    public async Task A_five_second_database_outage_mid_chat_closes_no_socket_and_every_resent_message_is_stored_once_in_order()
    {
        await using var cluster = await DurableCluster.Start(server.ConnectionString("outage"));
        var (visitor, conversationId) = await cluster.Visitor();
        await using var _ = visitor;

        const int total = 24;
        var acks = new List<JsonObject>();
        var errorsBefore = 0;
        var outage = Task.CompletedTask;
        for (var i = 1; i <= total; i++)
        {
            if (i == 6)
            {
                errorsBefore = visitor.Seen.Count(f => (string?)f["type"] == "error");
                // Messages 6 and on are sent while the database goes away and comes back.
                outage = Task.Run(async () =>
                {
                    await server.Stop();
                    await Task.Delay(TimeSpan.FromSeconds(5));
                    await server.Start();
                });
                await Task.Delay(200);
            }
            acks.Add(await DurableCluster.SendUntilAcknowledged(visitor, conversationId, $"m-{i:D2}", $"message {i}", TimeSpan.FromSeconds(90)));
            await Task.Delay(100);
        }
        await outage;

        Assert.Equal(WebSocketState.Open, visitor.State);
        var unavailable = visitor.Seen.Count(f => (string?)f["type"] == "error" && (string?)f["code"] == ErrorCodes.Unavailable);
        Assert.True(unavailable > errorsBefore, "the outage was seen as 'unavailable' errors on the socket");
        Assert.DoesNotContain(visitor.Seen, f => (string?)f["type"] == "error" && (string?)f["code"] != ErrorCodes.Unavailable);

        var stored = await StoredMessages(conversationId);
        Assert.Equal(Enumerable.Range(1, total).Select(i => $"m-{i:D2}"), stored.Select(s => s.ClientMessageId));
        Assert.Equal(Enumerable.Range(1, total).Select(i => (long)i), stored.Select(s => s.Seq));
        Assert.Equal(stored.Select(s => s.Seq), acks.Select(a => (long)a["seq"]!));

        // The HTTP side answers the same way while the database is down: 503 problem details with Retry-After.
        await server.Stop();
        try
        {
            var response = await cluster.Gateway.Http.PostAsJsonAsync("/api/auth/login", new { tenantId = DurableCluster.TenantId, email = "owner@durable.test", password = "owner-password-123" });
            Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.NotNull(response.Headers.RetryAfter);
            var problem = await response.Content.ReadFromJsonAsync<JsonObject>();
            Assert.Equal(ErrorCodes.Unavailable, (string?)problem!["code"]);
        }
        finally
        {
            await server.Start();
        }
    }

    private async Task<List<(long Seq, string ClientMessageId)>> StoredMessages(string conversationId)
    {
        await using var connection = new Npgsql.NpgsqlConnection(server.ConnectionString("check"));
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand(
            "SELECT seq, client_message_id FROM conversation_messages WHERE tenant_id = @t AND conversation_id = @c ORDER BY seq", connection);
        command.Parameters.AddWithValue("t", DurableCluster.TenantId);
        command.Parameters.AddWithValue("c", conversationId);
        var rows = new List<(long, string)>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync()) rows.Add((reader.GetInt64(0), reader.GetString(1)));
        return rows;
    }
}
