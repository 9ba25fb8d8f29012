using ChatCluster.Gateway.Auth;
using ChatCluster.Tenants;

namespace ChatCluster.Gateway.Api;

/// <summary>Agent login: email and password (bcrypt) in exchange for a bearer token.</summary>
public static class AuthEndpoints
{
    public static IEndpointRouteBuilder MapAuthEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/auth/login", Login).WithTags("Agents");
        return app;
    }

    public sealed record LoginRequest(string? TenantId, string? Email, string? Password);

    public sealed record LoginResponse(string Token, DateTimeOffset ExpiresAt, AgentInfo Agent, string TenantId);

    private static async Task<IResult> Login(LoginRequest request, IClusterClient grains, AgentTokens tokens)
    {
        if (string.IsNullOrWhiteSpace(request.Email) || string.IsNullOrEmpty(request.Password) || string.IsNullOrWhiteSpace(request.TenantId))
            return ProblemMapping.Problem(ErrorCodes.MissingField, "tenantId, email and password are required.");
        var credentials = Ids.IsTenantId(request.TenantId) && request.Email.Length <= 254
            ? await grains.GetGrain<ITenantGrain>(request.TenantId).FindCredentials(request.Email)
            : null;
        // Verify against a decoy when the account is unknown, so the answer takes as long either way.
        var valid = Passwords.Verify(request.Password, credentials?.PasswordHash ?? Passwords.Decoy.Value) && credentials is not null;
        if (!valid)
            return ProblemMapping.Problem(ErrorCodes.NotAuthenticated, "Wrong tenant, email or password.");

        var (token, expires) = tokens.Issue(request.TenantId, credentials!.Agent);
        return Results.Ok(new LoginResponse(token, expires, credentials.Agent, request.TenantId));
    }
}
