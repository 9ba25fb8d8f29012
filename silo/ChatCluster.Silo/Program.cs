using ChatCluster.Silo.Hosting;

// A standalone ChatCluster silo. Cluster mode (PostgreSQL membership, several silos) is configured
// through ChatCluster:Silo; see README.md.
var builder = WebApplication.CreateBuilder(args);
builder.UseOrleans(silo => silo.AddChatClusterSilo(builder.Configuration));

var app = builder.Build();
app.MapGet("/health", () => Results.Ok(new { status = "healthy" }));
app.Run();
