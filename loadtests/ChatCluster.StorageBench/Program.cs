using ChatCluster.StorageBench;

// dotnet run -c Release --project loadtests/ChatCluster.StorageBench [-- 10,100,1000]
// Creates a scratch database on CHATCLUSTER_BENCH_POSTGRES (default: the test server), migrates it,
// writes the same conversations both ways, prints a Markdown table and drops the database.
var sizes = args.Length > 0 ? args[0].Split(',').Select(int.Parse).ToArray() : [10, 100, 1000];
var server = Environment.GetEnvironmentVariable("CHATCLUSTER_BENCH_POSTGRES") is { Length: > 0 } configured
    ? configured
    : "Host=127.0.0.1;Port=5432;Username=chatcluster;Password=chatcluster;Database=postgres";

await using var database = await ScratchDatabase.Create(server);
var bench = new DurabilityBench(database.ConnectionString);
var rows = new List<DurabilityResult>();
foreach (var size in sizes)
{
    var result = await bench.Run(size);
    rows.Add(result);
    Console.Error.WriteLine($"{size} messages: log {result.Log.MeanMs:0.00} ms, blob {result.Blob.MeanMs:0.00} ms per message");
}
Console.WriteLine(DurabilityResult.Markdown(rows));
