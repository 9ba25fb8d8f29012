using ChatCluster.Gateway.Auth;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Scalar.AspNetCore;

namespace ChatCluster.Gateway.Api;

/// <summary>
/// The OpenAPI document of the HTTP API (I1) at <c>/openapi/v1.json</c> and its browsable reference at
/// <c>/api/reference</c>. Security schemes and problem-details answers are added from the endpoints' own
/// metadata (their authorization policies and <see cref="OperatorKeyRequired"/>), so a new endpoint is
/// described by the same rules that guard it.
/// </summary>
public static class OpenApiSetup
{
    public const string DocumentPath = "/openapi/v1.json";
    public const string ReferencePath = "/api/reference";
    public const string AgentBearer = "agentBearer";
    public const string OperatorKey = "operatorKey";
    public const string TenantApiKey = "tenantApiKey";

    public static IServiceCollection AddChatClusterOpenApi(this IServiceCollection services) =>
        services.AddOpenApi("v1", o =>
        {
            o.AddDocumentTransformer(async (document, context, cancel) =>
            {
                document.Info = new OpenApiInfo
                {
                    Title = "ChatCluster HTTP API",
                    Version = "v1",
                    Description = "Operator, team, privacy and integration endpoints of the gateway. Errors are RFC 9457 problem "
                        + "details with the protocol's error code in `code` (docs/protocol.md section 7). The WebSocket protocol is in docs/protocol.md.",
                };
                document.Components ??= new OpenApiComponents();
                document.Components.SecuritySchemes = new Dictionary<string, IOpenApiSecurityScheme>
                {
                    [AgentBearer] = new OpenApiSecurityScheme
                    {
                        Type = SecuritySchemeType.Http,
                        Scheme = "bearer",
                        BearerFormat = "JWT",
                        Description = "A team member's token from POST /api/auth/login.",
                    },
                    [OperatorKey] = new OpenApiSecurityScheme
                    {
                        Type = SecuritySchemeType.ApiKey,
                        In = ParameterLocation.Header,
                        Name = OperatorKeyFilter.Header,
                        Description = "The operator key (ChatCluster:Gateway:OperatorKey).",
                    },
                    [TenantApiKey] = new OpenApiSecurityScheme
                    {
                        Type = SecuritySchemeType.Http,
                        Scheme = "bearer",
                        Description = "A tenant API key (ck_…) made by an admin under /api/settings/api-keys; scoped (docs/integrations.md).",
                    },
                };
                var problem = await context.GetOrCreateSchemaAsync(typeof(ProblemDetails), cancellationToken: cancel);
                problem.Properties ??= new Dictionary<string, IOpenApiSchema>();
                problem.Properties["code"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "The protocol's error code (docs/protocol.md section 7), e.g. not_found, forbidden, rate_limited." };
                document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
                document.Components.Schemas[nameof(ProblemDetails)] = problem;
            });
            o.AddOperationTransformer((operation, context, _) =>
            {
                var metadata = context.Description.ActionDescriptor.EndpointMetadata;
                var schemes = new List<string>();
                if (metadata.OfType<OperatorKeyRequired>().Any()) schemes.Add(OperatorKey);
                var anonymous = metadata.OfType<IAllowAnonymous>().Any();
                var keyScope = metadata.OfType<ApiKeyScopeRequired>().FirstOrDefault();
                if (!anonymous && metadata.OfType<IAuthorizeData>().Any() && keyScope is not { AdminTokenToo: false }) schemes.Add(AgentBearer);
                if (keyScope is not null)
                {
                    schemes.Add(TenantApiKey);
                    operation.Description = ((operation.Description ?? "") + $" API keys need the scope `{keyScope.Scope}`.").Trim();
                }
                if (schemes.Count > 0)
                {
                    // Any one of the schemes opens the endpoint: one requirement object per scheme.
                    operation.Security = [.. schemes.Select(s => new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(s, context.Document)] = [] })];
                }
                AddProblems(operation, context, secured: schemes.Count > 0);
                return Task.CompletedTask;
            });
        });

    /// <summary>Every operation can answer with problem details; secured ones also with 401 and 403.</summary>
    private static void AddProblems(OpenApiOperation operation, OpenApiOperationTransformerContext context, bool secured)
    {
        operation.Responses ??= [];
        var codes = new List<(string Status, string Meaning)> { ("400", "Invalid request (invalid_request, missing_field, …)"), ("404", "Not found (not_found)"), ("429", "Rate limited (rate_limited); see Retry-After"), ("503", "Cluster unavailable (unavailable)") };
        if (secured) codes.AddRange([("401", "Not authenticated (not_authenticated, invalid_token)"), ("403", "Forbidden (forbidden, tenant_closed, missing scope)")]);
        foreach (var (status, meaning) in codes)
        {
            if (operation.Responses.ContainsKey(status)) continue;
            operation.Responses[status] = new OpenApiResponse
            {
                Description = meaning,
                Content = new Dictionary<string, OpenApiMediaType> { ["application/problem+json"] = new() { Schema = new OpenApiSchemaReference(nameof(ProblemDetails), context.Document) } },
            };
        }
    }

    public static WebApplication MapChatClusterOpenApi(this WebApplication app)
    {
        app.MapOpenApi(DocumentPath.Replace("v1", "{documentName}"));
        app.MapScalarApiReference(ReferencePath, o => o.WithTitle("ChatCluster API reference").WithOpenApiRoutePattern(DocumentPath));
        return app;
    }
}

/// <summary>Marks an endpoint guarded by the operator key, for the OpenAPI document.</summary>
public sealed class OperatorKeyRequired;

/// <summary>Marks an endpoint that a tenant API key with <see cref="Scope"/> may call (I4); some also take an admin's token.</summary>
public sealed record ApiKeyScopeRequired(string Scope, bool AdminTokenToo = false);

public static class OperatorKeyEndpoints
{
    /// <summary>The operator-key filter, and the metadata that tells the OpenAPI document about it.</summary>
    public static TBuilder RequireOperatorKey<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder
    {
        builder.AddEndpointFilter<TBuilder, OperatorKeyFilter>();
        builder.WithMetadata(new OperatorKeyRequired());
        return builder;
    }
}
