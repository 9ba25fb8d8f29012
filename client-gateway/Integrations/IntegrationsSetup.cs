using ChatCluster.Gateway.Api;
using ChatCluster.Gateway.Auth;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ChatCluster.Gateway.Integrations;

/// <summary>API keys, the REST API for servers, webhook management and identity verification (I2-I4): one place to wire them.</summary>
public static class IntegrationsSetup
{
    /// <summary>Call after the agents' authentication and authorization are registered: this adds a scheme and wraps the result handler.</summary>
    public static IServiceCollection AddChatClusterIntegrations(this IServiceCollection services)
    {
        services.AddOptions<ApiKeyOptions>().BindConfiguration(ApiKeyOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddAuthentication().AddScheme<AuthenticationSchemeOptions, ApiKeyAuthentication>(ApiKeyAuthentication.SchemeName, null);
        services.AddAuthorizationBuilder().AddApiKeyPolicies(new OpenTenantRequirement());
        services.AddSingleton<IAuthorizationHandler, ScopeHandler>();
        services.AddSingleton<TenantStandingResultHandler>();
        services.Replace(ServiceDescriptor.Singleton<IAuthorizationMiddlewareResultHandler, ScopeResultHandler>());
        services.AddSingleton<ApiKeyRateLimits>();
        services.AddSingleton<ApiKeyUse>();
        services.AddSingleton<ApiBodyLimit>();
        return services;
    }

    public static WebApplication UseApiBodyLimit(this WebApplication app)
    {
        app.UseMiddleware<ApiBodyLimit>();
        return app;
    }

    public static IEndpointRouteBuilder MapChatClusterIntegrations(this IEndpointRouteBuilder app)
    {
        app.MapApiKeyEndpoints();
        app.MapIntegrationApi();
        app.MapWebhookEndpoints();
        app.MapIdentityEndpoints();
        return app;
    }
}
