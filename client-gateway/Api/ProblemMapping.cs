using Microsoft.AspNetCore.Diagnostics;

namespace ChatCluster.Gateway.Api;

/// <summary>Turns rule violations from the grains into problem-details responses with the protocol's error code.</summary>
public sealed class ProblemMapping(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        var (status, code, title, detail) = exception switch
        {
            ChatRuleException rule => (StatusFor(rule.Code), rule.Code, TitleFor(rule.Code), rule.Message),
            BadHttpRequestException bad => (bad.StatusCode, bad.StatusCode == StatusCodes.Status413PayloadTooLarge ? ErrorCodes.PayloadTooLarge : ErrorCodes.InvalidRequest, "Bad request", bad.Message),
            TimeoutException or OrleansException => (StatusCodes.Status503ServiceUnavailable, ErrorCodes.Unavailable, "Cluster unavailable", "The cluster did not answer in time; retry."),
            _ => (StatusCodes.Status500InternalServerError, ErrorCodes.Internal, "Internal error", "Something went wrong on our side; it was logged."),
        };
        context.Response.StatusCode = status;
        if (exception is ChatRuleException { RetryAfterMs: { } retryMs })
            context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryMs / 1000.0)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        else if (status == StatusCodes.Status503ServiceUnavailable)
            context.Response.Headers.RetryAfter = "1";
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            Exception = exception,
            ProblemDetails = { Status = status, Title = title, Detail = detail, Extensions = { ["code"] = code } },
        });
    }

    public static int StatusFor(string code) => code switch
    {
        ErrorCodes.NotFound => StatusCodes.Status404NotFound,
        ErrorCodes.Forbidden or ErrorCodes.TenantClosed => StatusCodes.Status403Forbidden,
        ErrorCodes.Conflict => StatusCodes.Status409Conflict,
        ErrorCodes.NotAuthenticated or ErrorCodes.InvalidToken or ErrorCodes.SessionRevoked => StatusCodes.Status401Unauthorized,
        ErrorCodes.EnrolmentCodeRequired => StatusCodes.Status403Forbidden,
        ErrorCodes.TotpRequired or ErrorCodes.InvalidTotp or ErrorCodes.TotpReused => StatusCodes.Status401Unauthorized,
        ErrorCodes.InvalidCode or ErrorCodes.CodeExpired => StatusCodes.Status401Unauthorized,
        ErrorCodes.MfaEnrolmentRequired => StatusCodes.Status403Forbidden,
        ErrorCodes.RateLimited => StatusCodes.Status429TooManyRequests,
        ErrorCodes.Unavailable => StatusCodes.Status503ServiceUnavailable,
        ErrorCodes.PayloadTooLarge => StatusCodes.Status413PayloadTooLarge,
        _ => StatusCodes.Status400BadRequest,
    };

    private static string TitleFor(string code) => code switch
    {
        ErrorCodes.NotFound => "Not found",
        ErrorCodes.Forbidden => "Forbidden",
        ErrorCodes.Conflict => "Conflict",
        ErrorCodes.NotAuthenticated or ErrorCodes.InvalidToken or ErrorCodes.SessionRevoked => "Not authenticated",
        ErrorCodes.EnrolmentCodeRequired => "Enrolment code needed",
        ErrorCodes.TotpRequired or ErrorCodes.InvalidTotp or ErrorCodes.TotpReused => "Second factor needed",
        ErrorCodes.InvalidCode or ErrorCodes.CodeExpired => "Verification code not accepted",
        ErrorCodes.MfaEnrolmentRequired => "Enrol a second factor first",
        ErrorCodes.RateLimited => "Too many requests",
        ErrorCodes.Unavailable => "Cluster unavailable",
        ErrorCodes.PayloadTooLarge => "Payload too large",
        _ => "Invalid request",
    };

    /// <summary>
    /// Problems the framework writes itself (401 from the bearer check, 403 from a role check, 400 for an
    /// unreadable body) get the same <c>code</c> extension as ours, so clients switch on one field.
    /// </summary>
    public static void AddCodeByStatus(ProblemDetailsContext context)
    {
        var extensions = context.ProblemDetails.Extensions;
        if (extensions.ContainsKey("code")) return;
        extensions["code"] = context.ProblemDetails.Status switch
        {
            StatusCodes.Status401Unauthorized => ErrorCodes.NotAuthenticated,
            StatusCodes.Status403Forbidden => ErrorCodes.Forbidden,
            StatusCodes.Status404NotFound => ErrorCodes.NotFound,
            StatusCodes.Status409Conflict => ErrorCodes.Conflict,
            StatusCodes.Status429TooManyRequests => ErrorCodes.RateLimited,
            StatusCodes.Status413PayloadTooLarge => ErrorCodes.PayloadTooLarge,
            >= 500 => ErrorCodes.Internal,
            _ => ErrorCodes.InvalidRequest,
        };
        if (context.ProblemDetails.Status == StatusCodes.Status401Unauthorized)
            context.ProblemDetails.Detail ??= "Send a valid bearer token (POST /api/auth/login) in the Authorization header.";
        if (context.ProblemDetails.Status == StatusCodes.Status403Forbidden)
            context.ProblemDetails.Detail ??= "Your role does not allow this; it needs an admin or owner.";
    }

    /// <summary>A problem result carrying the protocol's error code, for validation failures in endpoints.</summary>
    public static IResult Problem(string code, string detail) =>
        Results.Problem(detail: detail, statusCode: StatusFor(code), title: TitleFor(code), extensions: new Dictionary<string, object?> { ["code"] = code });
}
