using System.Threading.RateLimiting;
using ChatCluster.Gateway.Api;
using ChatCluster.Privacy;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace ChatCluster.Gateway.Integrations;

/// <summary>
/// Every call made with an API key (I4): limited per key (a token bucket per key and gateway; <c>429 rate_limited</c>
/// with <c>Retry-After</c>) and written to the tenant's audit log (R7) with the key and the route, never the body.
/// Calls made with an agent's token pass through untouched.
/// </summary>
public sealed class ApiKeyUse(ApiKeyRateLimits limits, IOptions<ApiKeyOptions> options, IClusterClient grains, TimeProvider time) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (ApiKeyPrincipal.FromClaims(http.User) is not { } key) return await next(context);

        using var lease = limits.Acquire(key.KeyId);
        if (!lease.IsAcquired)
        {
            var retry = lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : TimeSpan.FromSeconds(1);
            http.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retry.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
            return ProblemMapping.Problem(ErrorCodes.RateLimited, $"This API key made too many calls; at most {options.Value.RequestsPerMinute} a minute.");
        }

        var now = time.GetUtcNow();
        // The route's template, never the path as sent: a caller's path is free text and could carry an address (R7).
        var route = (http.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "(no route)";
        var subject = http.Request.RouteValues.TryGetValue("conversationId", out var id) && id is string conversationId && Ids.IsLocalId(conversationId)
            ? AuditEntry.ConversationSubject(conversationId)
            : AuditEntry.TenantSubject;
        await grains.GetGrain<IAuditLogGrain>(DayKeys.For(key.TenantId, now))
            .Append(new AuditEntry(now, key.Actor, AuditAction.ApiKeyUsed, subject, $"{http.Request.Method} {route}"));
        return await next(context);
    }

}

/// <summary>One token bucket per API key, for the life of the gateway (the filter may be built more than once).</summary>
public sealed class ApiKeyRateLimits(IOptions<ApiKeyOptions> options) : IDisposable
{
    private readonly PartitionedRateLimiter<string> limiter = PartitionedRateLimiter.Create<string, string>(key =>
        RateLimitPartition.GetTokenBucketLimiter(key, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = options.Value.Burst,
            TokensPerPeriod = Math.Max(1, options.Value.RequestsPerMinute / 60),
            ReplenishmentPeriod = options.Value.RequestsPerMinute >= 60 ? TimeSpan.FromSeconds(1) : TimeSpan.FromSeconds(60.0 / options.Value.RequestsPerMinute),
            QueueLimit = 0,
            AutoReplenishment = true,
        }));

    public RateLimitLease Acquire(string keyId) => limiter.AttemptAcquire(keyId);

    public void Dispose() => limiter.Dispose();
}

/// <summary>Caps the body the REST API reads before the endpoint binds it, so an oversized payload is a clean 413.</summary>
public sealed class ApiBodyLimit(IOptions<ApiKeyOptions> options) : IMiddleware
{
    public Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        if (context.Request.Path.StartsWithSegments(IntegrationApi.Prefix) || context.Request.Path.StartsWithSegments(WebhookEndpoints.Prefix))
        {
            if (context.Request.ContentLength > options.Value.MaxBodyBytes)
                return ProblemMapping.Problem(ErrorCodes.PayloadTooLarge, $"A request body is at most {options.Value.MaxBodyBytes} bytes.").ExecuteAsync(context);
            if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size) size.MaxRequestBodySize = options.Value.MaxBodyBytes;
        }
        return next(context);
    }
}
