using System.ClientModel;
using System.ClientModel.Primitives;
using ChatCluster.Gateway.Hosting;
using Microsoft.Extensions.AI;
using OpenAI;

namespace ChatCluster.Gateway.Ai;

public static class AiSetup
{
    public const string TrainingOptOutHeader = "X-ChatCluster-Training-Opt-Out";

    /// <summary>The AI features (A2): the configured provider, the pseudonymising pipeline and the per-tenant call log.</summary>
    public static IServiceCollection AddChatClusterAi(this IServiceCollection services, IConfiguration configuration)
    {
        var options = GatewayApp.Bind<AiOptions>(configuration, AiOptions.Section);
        services.AddSingleton(options);
        services.AddSingleton<IInsightProvider>(_ => options.Provider == AiProviderKind.Local
            ? new LocalInsightProvider()
            : new ChatClientInsightProvider(OpenAICompatibleClient(options), "openai-compatible", options.Model, remote: true));
        services.AddSingleton<ConversationInsights>();
        return services;
    }

    private static IChatClient OpenAICompatibleClient(AiOptions options)
    {
        var http = new HttpClient(new TrainingOptOutHandler { InnerHandler = new SocketsHttpHandler() }) { Timeout = Timeout.InfiniteTimeSpan };
        var clientOptions = new OpenAIClientOptions
        {
            Endpoint = options.Endpoint,
            Transport = new HttpClientPipelineTransport(http),
            // One attempt: a retried request is one more copy of the text sent, and the caller's timeout bounds the wait.
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
            NetworkTimeout = options.Timeout,
        };
        var key = string.IsNullOrWhiteSpace(options.ApiKey) ? "none" : options.ApiKey;
        return new OpenAIClient(new ApiKeyCredential(key), clientOptions).GetChatClient(options.Model!).AsIChatClient();
    }

    /// <summary>Marks requests of tenants that opted out of model training; the flag flows with the call.</summary>
    public static readonly AsyncLocal<bool> TrainingOptOut = new();

    private sealed class TrainingOptOutHandler : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (TrainingOptOut.Value) request.Headers.TryAddWithoutValidation(TrainingOptOutHeader, "true");
            return base.SendAsync(request, cancellationToken);
        }
    }
}
