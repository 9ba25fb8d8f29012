using ChatCluster.Gateway.Auth;
using ChatCluster.Tenants;

namespace ChatCluster.Gateway.Api;

/// <summary>
/// The tenant's transcript rule (W5, issue 15): whether a visitor's transcript address must be confirmed with a mailed
/// code before a transcript is sent to it. Admins and owners change it; the daily limits are the silo's
/// (<c>ChatCluster:Mail:TranscriptLimits</c>).
/// </summary>
public static class TranscriptSettingsEndpoints
{
    public static IEndpointRouteBuilder MapTranscriptSettingsEndpoints(this IEndpointRouteBuilder app)
    {
        var settings = app.MapGroup("/api/settings/transcripts").WithTags("Agents").RequireAuthorization(AgentEndpoints.AdminPolicy);
        settings.MapGet("", Get).Produces<TranscriptSettings>();
        settings.MapPut("", Set).Produces<TranscriptSettings>();
        return app;
    }

    public sealed record TranscriptSettingsRequest(bool? ConfirmEmail);

    private static async Task<IResult> Get(HttpContext http, IClusterClient grains) =>
        Results.Ok(await grains.GetGrain<ITenantGrain>(Principal(http).TenantId).GetTranscriptSettings());

    private static async Task<IResult> Set(TranscriptSettingsRequest request, HttpContext http, IClusterClient grains)
    {
        if (request.ConfirmEmail is not { } confirm) return ProblemMapping.Problem(ErrorCodes.MissingField, "confirmEmail is required.");
        return Results.Ok(await grains.GetGrain<ITenantGrain>(Principal(http).TenantId).SetTranscriptSettings(new TranscriptSettings(confirm)));
    }

    private static AgentPrincipal Principal(HttpContext http) =>
        AgentTokens.FromClaims(http.User) ?? throw new ChatRuleException(ErrorCodes.NotAuthenticated, "Log in first.");
}
