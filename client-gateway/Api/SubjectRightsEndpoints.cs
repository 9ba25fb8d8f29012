using System.Net;
using System.Text;
using System.Text.Json;
using ChatCluster.Gateway.Auth;
using ChatCluster.Privacy;

namespace ChatCluster.Gateway.Api;

/// <summary>
/// Data-subject rights for a tenant admin acting on a request they verified (R5): access and portability (export as
/// JSON or readable HTML), rectification, restriction and objection, and the register of requests with their 30-day
/// due dates. Every request is tracked and audited by pseudonymous id (R7). The tenant comes from the admin's token,
/// so another tenant's visitor id is simply not found.
/// </summary>
public static class SubjectRightsEndpoints
{
    public static IEndpointRouteBuilder MapSubjectRightsEndpoints(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/privacy").WithTags("Privacy").RequireAuthorization(AgentEndpoints.AdminPolicy);
        api.MapGet("/subjects/{visitorId}/export", Export).Produces<SubjectExport>().Produces<string>(StatusCodes.Status200OK, "text/html");
        api.MapPatch("/subjects/{visitorId}", Rectify).Produces<ChatCluster.Visitors.VisitorProfile>();
        api.MapPut("/subjects/{visitorId}/restrictions", Restrict).Produces<ProcessingRestrictions>();
        api.MapGet("/requests", Requests).Produces<PrivacyRequestList>();
        return app;
    }

    public sealed record RectificationRequest(string? Name, string? Email);

    public sealed record PrivacyRequestList(IReadOnlyList<PrivacyRequest> Requests);

    public sealed record RestrictionRequest(bool? Restricted, bool? Objected);

    private static async Task<IResult> Export(string visitorId, string? format, HttpContext http, IClusterClient grains)
    {
        var me = Admin(http);
        if (format is not (null or "json" or "html")) return ProblemMapping.Problem(ErrorCodes.InvalidRequest, "format is json (the default) or html.");
        if (BadVisitorId(visitorId) is { } bad) return bad;
        var export = await Tracked(grains, me, PrivacyRequestKind.Access, visitorId,
            () => grains.GetGrain<IDataProtectionGrain>(me.TenantId).ExportVisitor(visitorId, AuditEntry.Agent(me.AgentId)));
        if (format == "html") return Results.Content(SubjectExportPage.Render(export), "text/html; charset=utf-8");
        http.Response.Headers.ContentDisposition = $"attachment; filename=\"{visitorId}.json\"";
        return Results.Json(export, ExportJson);
    }

    /// <summary>The portable form (R5): camelCase JSON with enums as words, indented for people who open the file.</summary>
    internal static readonly JsonSerializerOptions ExportJson = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    private static async Task<IResult> Rectify(string visitorId, RectificationRequest request, HttpContext http, IClusterClient grains, TimeProvider time)
    {
        var me = Admin(http);
        if (BadVisitorId(visitorId) is { } bad) return bad;
        if (request.Name is null && request.Email is null) return ProblemMapping.Problem(ErrorCodes.MissingField, "Give name and/or email; an empty string clears a field.");
        var visitor = grains.GetGrain<Visitors.IVisitorGrain>(GrainKeys.Scoped(me.TenantId, visitorId));
        var profile = await Tracked(grains, me, PrivacyRequestKind.Rectification, visitorId, async () =>
        {
            if (await visitor.GetProfile() is null) throw ChatRuleException.NotFound($"Visitor '{visitorId}'");
            return await visitor.Rectify(request.Name, request.Email);
        });
        await Audit(grains, me, time, AuditAction.SubjectRectified, visitorId);
        return Results.Ok(profile);
    }

    private static async Task<IResult> Restrict(string visitorId, RestrictionRequest request, HttpContext http, IClusterClient grains, TimeProvider time)
    {
        var me = Admin(http);
        if (BadVisitorId(visitorId) is { } bad) return bad;
        if (request.Restricted is null && request.Objected is null) return ProblemMapping.Problem(ErrorCodes.MissingField, "Give restricted and/or objected (true or false).");
        var visitor = grains.GetGrain<Visitors.IVisitorGrain>(GrainKeys.Scoped(me.TenantId, visitorId));
        var kind = request.Objected is not null ? PrivacyRequestKind.Objection : PrivacyRequestKind.Restriction;
        var result = await Tracked(grains, me, kind, visitorId, async () =>
        {
            if (await visitor.GetProfile() is null) throw ChatRuleException.NotFound($"Visitor '{visitorId}'");
            var now = await visitor.GetRestrictions();
            return await visitor.SetRestrictions(new ProcessingRestrictions(request.Restricted ?? now.Restricted, request.Objected ?? now.Objected));
        });
        await Audit(grains, me, time, AuditAction.ProcessingRestrictionChanged, visitorId);
        return Results.Ok(result);
    }

    private static async Task<IResult> Requests(HttpContext http, IClusterClient grains)
    {
        var me = Admin(http);
        var requests = await grains.GetGrain<IPrivacyRequestsGrain>(me.TenantId).List();
        return Results.Ok(new PrivacyRequestList([.. requests.OrderByDescending(r => r.ReceivedAt)]));
    }

    /// <summary>Opens a request in the register, runs it, and records its outcome; a refusal (not found, hold) is recorded too.</summary>
    public static Task<T> Tracked<T>(IClusterClient grains, AgentPrincipal me, PrivacyRequestKind kind, string visitorId, Func<Task<T>> serve) =>
        Tracked(grains, me.TenantId, AuditEntry.Agent(me.AgentId), kind, visitorId, serve);

    /// <param name="receivedBy">The actor: an agent, or the person themselves on the self-service path.</param>
    public static async Task<T> Tracked<T>(IClusterClient grains, string tenantId, string receivedBy, PrivacyRequestKind kind, string visitorId, Func<Task<T>> serve)
    {
        var register = grains.GetGrain<IPrivacyRequestsGrain>(tenantId);
        var request = await register.Open(kind, AuditEntry.VisitorSubject(visitorId), receivedBy);
        try
        {
            var result = await serve();
            await register.Complete(request.Id, PrivacyRequestStatus.Completed);
            return result;
        }
        catch (ChatRuleException)
        {
            await register.Complete(request.Id, PrivacyRequestStatus.Refused);
            throw;
        }
    }

    /// <summary>R7: an admin read or change of personal data, recorded by pseudonymous id only.</summary>
    public static Task Audit(IClusterClient grains, AgentPrincipal me, TimeProvider time, AuditAction action, string visitorId) =>
        AuditAdmin(grains, me, time, action, AuditEntry.VisitorSubject(visitorId));

    public static Task AuditAdmin(IClusterClient grains, AgentPrincipal me, TimeProvider time, AuditAction action, string subject)
    {
        var now = time.GetUtcNow();
        return grains.GetGrain<IAuditLogGrain>(DayKeys.For(me.TenantId, now)).Append(new AuditEntry(now, AuditEntry.Agent(me.AgentId), action, subject));
    }

    private static IResult? BadVisitorId(string visitorId) =>
        Ids.IsLocalId(visitorId) && visitorId.StartsWith("v_", StringComparison.Ordinal)
            ? null
            : ProblemMapping.Problem(ErrorCodes.NotFound, "Visitor was not found.");

    private static AgentPrincipal Admin(HttpContext http) =>
        AgentTokens.FromClaims(http.User) ?? throw new ChatRuleException(ErrorCodes.NotAuthenticated, "Log in first.");
}

/// <summary>The readable form of an export (R5 access): plain HTML, every value encoded.</summary>
internal static class SubjectExportPage
{
    public static string Render(SubjectExport export)
    {
        static string E(object? value) => WebUtility.HtmlEncode(Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "—");
        var v = export.Visitor;
        var html = new StringBuilder();
        html.Append("<!doctype html><html><head><meta charset=\"utf-8\"><title>Your data</title></head><body>");
        html.Append($"<h1>Data held about visitor {E(export.VisitorId)}</h1><p>Exported {E(export.ExportedAt)}</p>");
        html.Append("<h2>Profile</h2><dl>");
        html.Append($"<dt>Name</dt><dd>{E(v.Name)}</dd><dt>Email</dt><dd>{E(v.Email)}</dd>");
        html.Append($"<dt>IP address</dt><dd>{E(v.LastConnection.IpAddress)}</dd><dt>User agent</dt><dd>{E(v.LastConnection.UserAgent)}</dd>");
        html.Append($"<dt>Country (from the IP address)</dt><dd>{E(v.LastConnection.Country)}</dd>");
        html.Append($"<dt>Page</dt><dd>{E(v.LastConnection.PageUrl)}</dd><dt>First seen</dt><dd>{E(v.FirstSeenAt)}</dd><dt>Last seen</dt><dd>{E(v.LastSeenAt)}</dd>");
        html.Append($"<dt>Processing restricted</dt><dd>{E(export.Restrictions.Restricted)}</dd><dt>Objected</dt><dd>{E(export.Restrictions.Objected)}</dd>");
        html.Append($"<dt>Deleted after</dt><dd>{E(export.Retention.Deadline)}</dd></dl>");
        foreach (var c in export.Conversations)
        {
            html.Append($"<h2>Conversation {E(c.Summary.ConversationId)}</h2><p>Started {E(c.Summary.StartedAt)}, status {E(c.Summary.Status)}, ");
            html.Append($"contact {E(c.Contact?.Name)} / {E(c.Contact?.Email)}, deleted after {E(c.Retention.Deadline)}</p><ol>");
            foreach (var m in c.Messages) html.Append($"<li>[{E(m.SentAt)}] {E(m.Sender.Kind)} {E(m.Sender.DisplayName)}: {E(m.Text)}</li>");
            html.Append("</ol>");
            if (c.Record is { } r)
            {
                html.Append($"<dl><dt>Closed</dt><dd>{E(r.ClosedAt)}</dd><dt>First answer</dt><dd>{E(r.FirstResponseAt)}</dd>");
                html.Append($"<dt>Rating</dt><dd>{E(r.Rating?.Score)} {E(r.Rating?.Comment)}</dd>");
                foreach (var mark in r.ReadMarks) html.Append($"<dt>Read by {E(mark.Reader.Kind)} {E(mark.Reader.DisplayName)}</dt><dd>up to message {E(mark.Seq)}</dd>");
                html.Append("</dl>");
            }
        }
        return html.Append("</body></html>").ToString();
    }
}
