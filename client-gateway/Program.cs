using ChatCluster.Gateway.Hosting;

GatewayApp.Build(args).Run();

/// <summary>Entry point; exposed for tests.</summary>
public partial class Program;
