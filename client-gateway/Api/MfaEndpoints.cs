using ChatCluster.Gateway.Auth;
using ChatCluster.Security;
using ChatCluster.Tenants;
using QRCoder;

namespace ChatCluster.Gateway.Api;

/// <summary>
/// Multi-factor login (T2): an agent enrols a TOTP authenticator, an admin can require it for the whole team.
/// The login side is in <see cref="AuthEndpoints"/>.
/// </summary>
public static class MfaEndpoints
{
    /// <summary>Any valid token of the tenant, including one that may only enrol (see <see cref="AgentTokens.EnrolOnlyScope"/>).</summary>
    public const string EnrolPolicy = "mfa-enrol";
    public const string Issuer = "ChatCluster";

    public static IEndpointRouteBuilder MapMfaEndpoints(this IEndpointRouteBuilder app)
    {
        var me = app.MapGroup("/api/me/totp").WithTags("Agents").RequireAuthorization(EnrolPolicy);
        me.MapGet("", Status).Produces<TotpStatus>();
        me.MapPost("/enrol", Enrol).Produces<EnrolResponse>();
        me.MapPost("/confirm", Confirm).Produces<ConfirmResponse>();
        var settings = app.MapGroup("/api/settings/security").WithTags("Agents").RequireAuthorization(AgentEndpoints.AdminPolicy);
        settings.MapGet("", GetSecurity).Produces<TenantSecurity>();
        settings.MapPut("", SetSecurity).Produces<TenantSecurity>();
        return app;
    }

    public sealed record TotpStatus(bool Enabled, bool Required);

    public sealed record EnrolResponse(string Secret, string OtpAuthUri, string QrSvg);

    public sealed record ConfirmRequest(string? Code);

    /// <summary>After a confirmation the agent gets a full token: the second factor was just proven.</summary>
    public sealed record ConfirmResponse(bool Enabled, string Token, DateTimeOffset ExpiresAt);

    public sealed record SecurityRequest(bool? RequireMfa);

    private static async Task<IResult> Status(HttpContext http, IClusterClient grains)
    {
        var me = Principal(http);
        var enabled = await Mfa(grains, me).IsEnabled();
        var security = await grains.GetGrain<ITenantGrain>(me.TenantId).GetSecurity();
        return Results.Ok(new TotpStatus(enabled, security.RequireMfa));
    }

    private static async Task<IResult> Enrol(HttpContext http, IClusterClient grains)
    {
        var me = Principal(http);
        var agent = await grains.GetGrain<ITenantGrain>(me.TenantId).GetAgent(me.AgentId);
        if (agent is null) return ProblemMapping.Problem(ErrorCodes.InvalidToken, "This account no longer exists.");
        var enrolment = await Mfa(grains, me).BeginEnrolment($"{agent.Email} ({me.TenantId})", Issuer);
        return Results.Ok(new EnrolResponse(enrolment.Secret, enrolment.OtpAuthUri, QrSvg(enrolment.OtpAuthUri)));
    }

    private static async Task<IResult> Confirm(ConfirmRequest request, HttpContext http, IClusterClient grains, AgentTokens tokens)
    {
        var me = Principal(http);
        if (string.IsNullOrWhiteSpace(request.Code)) return ProblemMapping.Problem(ErrorCodes.MissingField, "code is required.");
        await Mfa(grains, me).Confirm(request.Code);
        var credentials = await grains.GetGrain<ITenantGrain>(me.TenantId).GetCredentials(me.AgentId);
        if (credentials is null) return ProblemMapping.Problem(ErrorCodes.InvalidToken, "This account no longer exists.");
        var (token, expires) = tokens.Issue(me.TenantId, credentials.Agent, credentials.Stamp, secondFactor: true);
        return Results.Ok(new ConfirmResponse(true, token, expires));
    }

    private static async Task<IResult> GetSecurity(HttpContext http, IClusterClient grains) =>
        Results.Ok(await grains.GetGrain<ITenantGrain>(Principal(http).TenantId).GetSecurity());

    private static async Task<IResult> SetSecurity(SecurityRequest request, HttpContext http, IClusterClient grains, TenantStandings standings)
    {
        if (request.RequireMfa is not { } require) return ProblemMapping.Problem(ErrorCodes.MissingField, "requireMfa is required.");
        var me = Principal(http);
        // Whoever turns the requirement on must already use it, or they would end their own session with no way back.
        if (require && !await Mfa(grains, me).IsEnabled())
            return ProblemMapping.Problem(ErrorCodes.Conflict, "Enrol your own authenticator (POST /api/me/totp/enrol) before requiring two-step login for the team.");
        var security = await grains.GetGrain<ITenantGrain>(me.TenantId).SetSecurity(new TenantSecurity(require));
        standings.Forget(me.TenantId); // sessions opened with a password alone end now (T2)
        return Results.Ok(security);
    }

    /// <summary>The otpauth URI as an SVG QR code, drawn on the server so the console needs no QR library.</summary>
    public static string QrSvg(string text)
    {
        using var generator = new QRCodeGenerator();
        using var data = generator.CreateQrCode(text, QRCodeGenerator.ECCLevel.M);
        return new SvgQRCode(data).GetGraphic(4);
    }

    private static IAgentMfaGrain Mfa(IClusterClient grains, AgentPrincipal me) =>
        grains.GetGrain<IAgentMfaGrain>(GrainKeys.Scoped(me.TenantId, me.AgentId));

    private static AgentPrincipal Principal(HttpContext http) =>
        AgentTokens.FromClaims(http.User) ?? throw new ChatRuleException(ErrorCodes.NotAuthenticated, "Log in first.");
}
