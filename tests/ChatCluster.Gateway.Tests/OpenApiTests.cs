using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace ChatCluster.Gateway.Tests;

/// <summary>I1: the OpenAPI document describes every HTTP endpoint the gateway maps, with schemas, errors and security.</summary>
[Collection(GatewayCollection.Name)]
public sealed class OpenApiTests(GatewayFixture gateway)
{
    /// <summary>Endpoints that are not part of the JSON API, each with the reason it is left out of the document.</summary>
    private static readonly (string Prefix, string Why)[] NotInTheDocument =
    [
        ("/ws", "the WebSocket protocol, described in docs/protocol.md"),
        ("/dashboard", "the Orleans Dashboard's own pages and calls"),
        ("/openapi/", "the document itself"),
        ("/api/reference", "the reference page of the document"),
        ("/metrics", "Prometheus text format for scrapers, docs/architecture.md"),
    ];

    [Fact]
    public async Task Every_mapped_endpoint_is_in_the_openapi_document()
    {
        var document = await Document();
        var paths = document["paths"]!.AsObject();
        var missing = new List<string>();
        foreach (var endpoint in gateway.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>())
        {
            var route = "/" + endpoint.RoutePattern.RawText!.TrimStart('/');
            if (route == "/" || NotInTheDocument.Any(n => route.StartsWith(n.Prefix, StringComparison.Ordinal))) continue;
            var methods = endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["GET"];
            var path = route.TrimEnd('/') is { Length: > 0 } trimmed ? trimmed : "/";
            foreach (var method in methods)
            {
                if (paths[path]?[method.ToLowerInvariant()] is null) missing.Add($"{method} {path}");
            }
        }
        Assert.True(missing.Count == 0, "Not in /openapi/v1.json: " + string.Join(", ", missing));
        Assert.True(paths.Count >= 40, $"only {paths.Count} paths: the enumeration found too little to mean anything");
    }

    [Fact]
    public async Task The_document_has_schemas_problem_details_and_security_schemes()
    {
        var document = await Document();
        Assert.StartsWith("3.", (string)document["openapi"]!);
        Assert.Equal("ChatCluster HTTP API", (string)document["info"]!["title"]!);

        var schemes = document["components"]!["securitySchemes"]!.AsObject();
        Assert.Equal("bearer", (string)schemes["agentBearer"]!["scheme"]!);
        Assert.Equal("X-Operator-Key", (string)schemes["operatorKey"]!["name"]!);
        Assert.Equal("header", (string)schemes["operatorKey"]!["in"]!);
        Assert.NotNull(schemes["tenantApiKey"]);
        Assert.NotNull(document["components"]!["schemas"]!["ProblemDetails"]!["properties"]!["code"]);

        var withoutSchema = new List<string>();
        foreach (var (path, item) in document["paths"]!.AsObject())
        {
            foreach (var (method, operation) in item!.AsObject())
            {
                var where = $"{method.ToUpperInvariant()} {path}";
                var responses = operation!["responses"]!.AsObject();
                var success = responses.Where(r => r.Key.StartsWith('2')).ToList();
                Assert.True(success.Count > 0, $"{where} has no success response");
                Assert.True(responses.ContainsKey("400") && (string?)responses["400"]!["content"]!["application/problem+json"]!["schema"]!["$ref"] == "#/components/schemas/ProblemDetails",
                    $"{where} does not describe its problem-details answers");
                if (!success.Any(r => r.Value!["content"] is not null || r.Key is "202" or "204")) withoutSchema.Add(where);
                if (method is "post" or "put" or "patch" && operation["requestBody"] is { } body)
                    Assert.NotNull(body["content"]!["application/json"]!["schema"]);
            }
        }
        Assert.True(withoutSchema.Count == 0, "No response schema: " + string.Join(", ", withoutSchema));

        // The rules that guard an endpoint are the ones the document states.
        Assert.Equal("operatorKey", FirstScheme(document, "/api/tenants", "post"));
        Assert.Equal("agentBearer", FirstScheme(document, "/api/me", "get"));
        Assert.Null(document["paths"]!["/api/auth/login"]!["post"]!["security"]);
        Assert.NotNull(document["paths"]!["/api/tenants"]!["post"]!["requestBody"]);
    }

    [Fact]
    public async Task The_reference_page_is_served()
    {
        var response = await gateway.Http.GetAsync("/api/reference");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("openapi/v1.json", html);
    }

    private static string? FirstScheme(JsonObject document, string path, string method) =>
        document["paths"]![path]![method]!["security"]?[0]!.AsObject().First().Key;

    private async Task<JsonObject> Document()
    {
        var response = await gateway.Http.GetAsync("/openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
    }
}
