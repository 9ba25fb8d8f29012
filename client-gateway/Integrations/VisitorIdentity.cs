using ChatCluster.Gateway.Protocol;
using ChatCluster.Integrations;
using ChatCluster.Visitors;

namespace ChatCluster.Gateway.Integrations;

/// <summary>
/// Identity verification in the visitor hello (I3). A verified user is one visitor on every device: the hello resolves
/// to that visitor (created the first time) instead of a token's. A forged or stale signature is answered with an
/// <c>invalid_identity</c> error frame and the hello goes on anonymously; a tenant that requires verification refuses
/// the hello with <c>identity_required</c> instead.
/// </summary>
public static class VisitorIdentity
{
    /// <param name="VisitorId">The verified user's visitor, when the identity verified.</param>
    /// <param name="Token">A token for a visitor made by this hello.</param>
    /// <param name="Warning">Why an identity was not accepted (the hello goes on anonymously).</param>
    /// <param name="Refusal">Why the hello is refused (the tenant requires verification).</param>
    public sealed record Outcome(string? VisitorId, string? Token, string? Warning, string? Refusal);

    private static readonly Outcome Anonymous = new(null, null, null, null);

    public static async Task<Outcome> Check(IClusterClient grains, string tenantId, IdentityDto? identity, ConnectionDetails details)
    {
        var verification = grains.GetGrain<IIdentityVerificationGrain>(tenantId);
        var required = (await verification.GetSettings()).Required;
        var problem = identity is null ? null : Shape(identity);
        if (identity is not null && problem is null)
        {
            problem = await verification.Verify(identity.UserId!, identity.Signature!) switch
            {
                IdentityCheck.Verified => null,
                IdentityCheck.NotConfigured => "This site has not set up identity verification; continuing as an anonymous visitor.",
                _ => "The identity's signature does not match (forged, or signed with a rotated secret); continuing as an anonymous visitor.",
            };
            if (problem is null) return await Resolve(grains, tenantId, identity, details);
        }
        if (required)
            return new Outcome(null, null, null, problem ?? "This site lets only signed-in users chat: the page must pass a verified identity.");
        return problem is null ? Anonymous : Anonymous with { Warning = problem };
    }

    private static string? Shape(IdentityDto identity)
    {
        if (string.IsNullOrEmpty(identity.UserId) || identity.UserId.Length > IdentityVerification.MaxUserIdLength)
            return $"identity.userId is 1 to {IdentityVerification.MaxUserIdLength} characters; continuing as an anonymous visitor.";
        if (string.IsNullOrEmpty(identity.Signature) || identity.Signature.Length != 64)
            return "identity.signature is the hex HMAC-SHA256 of userId (64 characters); continuing as an anonymous visitor.";
        if (identity.Name is { Length: > 200 } || identity.Email is { Length: > 320 })
            return "identity.name is at most 200 and identity.email at most 320 characters; continuing as an anonymous visitor.";
        return null;
    }

    private static async Task<Outcome> Resolve(IClusterClient grains, string tenantId, IdentityDto identity, ConnectionDetails details)
    {
        var user = grains.GetGrain<IVerifiedUserGrain>(IdentityVerification.UserKey(tenantId, identity.UserId!));
        string? token = null;
        var visitorId = await user.GetVisitorId();
        if (visitorId is null || !await Visitor(grains, tenantId, visitorId).Vouched(details))
        {
            // First visit, or the earlier visitor was erased or expired: a new one, and the user points to it from now on.
            visitorId = Ids.NewVisitorId();
            token = $"{visitorId}.{await Visitor(grains, tenantId, visitorId).Register(details)}";
            await user.SetVisitorId(visitorId);
        }
        if (identity.Name is not null || identity.Email is not null)
        {
            try
            {
                await Visitor(grains, tenantId, visitorId).SetContact(identity.Name, identity.Email);
            }
            catch (ChatRuleException)
            {
                // A malformed email from the site does not cost the user their chat: the contact simply stays as it was.
            }
        }
        return new Outcome(visitorId, token, null, null);
    }

    private static IVisitorGrain Visitor(IClusterClient grains, string tenantId, string visitorId) =>
        grains.GetGrain<IVisitorGrain>(GrainKeys.Scoped(tenantId, visitorId));
}
