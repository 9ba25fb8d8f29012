namespace ChatCluster;

/// <summary>
/// A request broke a product rule (not found, forbidden, conflict, invalid). Grains throw it;
/// the gateway turns <see cref="Code"/> into a typed error frame or a problem-details response.
/// </summary>
[GenerateSerializer]
public sealed class ChatRuleException : Exception
{
    public ChatRuleException(string code, string message) : base(message) => Code = code;

    [Id(0)]
    public string Code { get; }

    /// <summary>For retryable errors (<c>unavailable</c>, <c>rate_limited</c>): when the client may try again.</summary>
    [Id(1)]
    public int? RetryAfterMs { get; init; }

    public static ChatRuleException NotFound(string what) => new(ErrorCodes.NotFound, $"{what} was not found.");
    public static ChatRuleException Forbidden(string message) => new(ErrorCodes.Forbidden, message);
    public static ChatRuleException Conflict(string message) => new(ErrorCodes.Conflict, message);
    public static ChatRuleException Invalid(string message) => new(ErrorCodes.InvalidRequest, message);

    /// <summary>
    /// A dependency (the database, a silo) failed or is overloaded; nothing was done and the same request may be
    /// repeated (a send with the same client message id is deduplicated). The one retryable error that crosses
    /// grain boundaries in place of provider exceptions, which have no Orleans codec.
    /// </summary>
    public static ChatRuleException Unavailable(string message, TimeSpan retryAfter) =>
        new(ErrorCodes.Unavailable, message) { RetryAfterMs = (int)Math.Ceiling(retryAfter.TotalMilliseconds) };

    /// <summary>A quota was exceeded; the client may try again after <paramref name="retryAfter"/>.</summary>
    public static ChatRuleException RateLimited(string message, TimeSpan retryAfter) =>
        new(ErrorCodes.RateLimited, message) { RetryAfterMs = (int)Math.Ceiling(retryAfter.TotalMilliseconds) };
}

/// <summary>The error codes of the wire protocol and the HTTP API (docs/protocol.md lists them).</summary>
public static class ErrorCodes
{
    public const string MalformedFrame = "malformed_frame";
    public const string UnknownFrameType = "unknown_frame_type";
    public const string MissingField = "missing_field";
    public const string InvalidRequest = "invalid_request";
    public const string FrameTooLarge = "frame_too_large";
    public const string MessageTooLong = "message_too_long";
    public const string NotAuthenticated = "not_authenticated";
    public const string AlreadyAuthenticated = "already_authenticated";
    public const string InvalidSiteKey = "invalid_site_key";
    public const string OriginNotAllowed = "origin_not_allowed";
    public const string InvalidVisitorToken = "invalid_visitor_token";
    public const string InvalidToken = "invalid_token";
    public const string Forbidden = "forbidden";
    public const string NotFound = "not_found";
    public const string Conflict = "conflict";
    public const string ConversationClosed = "conversation_closed";
    public const string RateLimited = "rate_limited";
    public const string IdleTimeout = "idle_timeout";
    public const string Unavailable = "unavailable";
    public const string Internal = "internal_error";

    // Multi-factor login (T2).
    public const string TotpRequired = "totp_required";
    public const string InvalidTotp = "invalid_totp";
    public const string TotpReused = "totp_reused";
    public const string MfaEnrolmentRequired = "mfa_enrolment_required";

    /// <summary>An agent's session ended (T2): removed, role, password or second factor changed, or MFA now required.</summary>
    public const string SessionRevoked = "session_revoked";

    /// <summary>The tenant requires MFA and the agent has not enrolled: a password alone does not open enrolment.</summary>
    public const string EnrolmentCodeRequired = "enrolment_code_required";

    // Self-service rights (R5): the one-time code mailed to a visitor.
    public const string InvalidCode = "invalid_code";
    public const string CodeExpired = "code_expired";

    // Account closure (R3): the tenant is closed; its widget and logins are refused.
    public const string TenantClosed = "tenant_closed";

    // Integrations (I2-I4).
    public const string PayloadTooLarge = "payload_too_large";

    /// <summary>A signed identity in the visitor hello did not verify (forged, stale or malformed); the widget goes on anonymously.</summary>
    public const string InvalidIdentity = "invalid_identity";

    /// <summary>The tenant requires a verified identity and the hello brought none that verified.</summary>
    public const string IdentityRequired = "identity_required";
}
