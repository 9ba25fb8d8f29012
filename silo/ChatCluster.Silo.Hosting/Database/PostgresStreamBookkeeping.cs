using ChatCluster.Grains.Streams;
using Npgsql;

namespace ChatCluster.Silo.Hosting.Database;

/// <summary>
/// Deletes the Orleans pub/sub rows of a tenant's streams from <c>orleans_storage</c> (R3). Their grain id extension is
/// <c>{provider}/{namespace}/{stream key}</c>: <c>chat/inbox/{tenant}</c> and <c>chat/conversation/{tenant}/{conversation}</c>.
/// This goes past Orleans on purpose (see <see cref="IStreamBookkeeping"/>). A rendezvous activation that is still
/// alive keeps its copy in memory; should it write again, its version no longer matches and Orleans reactivates it
/// from the (now empty) store. Nothing writes again unless the tenant's streams get new events or subscribers,
/// which a purged tenant cannot produce.
/// </summary>
public sealed class PostgresStreamBookkeeping(NpgsqlDataSource dataSource, string serviceId) : IStreamBookkeeping
{
    public const string RendezvousStateName = "PubSubRendezvousGrain";

    private const string DeleteSql = """
        DELETE FROM orleans_storage
        WHERE service_id = @service AND grain_type = @type
          AND (grain_id_extension = @inbox OR starts_with(grain_id_extension, @conversations))
        """;

    public async Task PurgeTenant(string tenantId)
    {
        if (!Ids.IsTenantId(tenantId)) throw new ArgumentException($"'{tenantId}' is not a tenant id.", nameof(tenantId));
        await using var command = dataSource.CreateCommand(DeleteSql);
        command.Parameters.AddWithValue("service", serviceId);
        command.Parameters.AddWithValue("type", RendezvousStateName);
        command.Parameters.AddWithValue("inbox", $"{ChatStreams.Provider}/{ChatStreams.InboxNamespace}/{tenantId}");
        command.Parameters.AddWithValue("conversations", $"{ChatStreams.Provider}/{ChatStreams.ConversationNamespace}/{tenantId}/");
        await command.ExecuteNonQueryAsync().ConfigureAwait(false);
    }
}
