using ChatCluster.Silo;
using ChatCluster.Silo.Hosting;
using ChatCluster.Silo.Hosting.Mail;
using ChatCluster.Silo.Hosting.Operations;

// A standalone ChatCluster silo. Cluster mode (PostgreSQL membership, several silos) is configured
// through ChatCluster:Silo and ChatCluster:Postgres; see docs/cluster.md.
// `-- migrate` applies the database schema and exits instead; `-- reencrypt` re-seals data sealed under
// retired keys and exits (docs/privacy.md, "Key rotation"); `-- open-mail FILE...` prints sealed outbox mail files
// of the embedded default, opened with the configured key ring, and exits.
var builder = WebApplication.CreateBuilder(args);
if (args.Length > 0 && args[0] == MigrateCommand.Name) return await MigrateCommand.Run(builder.Configuration);
if (args.Length > 0 && args[0] == ReencryptCommand.Name) return await ReencryptCommand.Run(builder.Configuration, args);
if (args.Length > 0 && args[0] == OpenMailCommand.Name) return await OpenMailCommand.Run(builder.Configuration, args);

builder.UseOrleans(silo => silo.AddChatClusterSilo(builder.Configuration));
builder.Services.AddChatClusterMetrics("chatcluster-silo", MailMetrics.MeterName);

var app = builder.Build();
app.MapSiloHealth();
app.MapChatClusterMetrics();
await app.RunAsync();
return 0;
