using System.Security.Cryptography;
using System.Text;
using ChatCluster.Gateway.Api;
using ChatCluster.Gateway.Hosting;

namespace ChatCluster.Gateway.Auth;

/// <summary>
/// Guards the Orleans Dashboard (<c>/dashboard</c>) with the operator key. Scripts send the
/// <c>X-Operator-Key</c> header; a browser opens <c>/dashboard/?operatorKey=…</c> once and gets an HttpOnly,
/// SameSite=Strict cookie scoped to <c>/dashboard</c> (an HMAC of the key, not the key), because the
/// dashboard's own scripts call its API without custom headers. This is an operator cookie; the widget
/// still sets none (W2).
/// </summary>
public sealed class OperatorAccess(GatewayOptions options) : IEndpointFilter
{
    public const string DashboardPath = "/dashboard";
    public const string QueryParameter = "operatorKey";
    public const string Cookie = "chatcluster-operator";

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var expected = options.OperatorKey ?? "";
        var pass = Pass(expected);
        if (Same(http.Request.Headers[OperatorKeyFilter.Header].ToString(), expected)
            || Same(http.Request.Cookies[Cookie] ?? "", pass))
        {
            return await next(context);
        }
        if (Same(http.Request.Query[QueryParameter].ToString(), expected))
        {
            http.Response.Cookies.Append(Cookie, pass, new CookieOptions
            {
                HttpOnly = true,
                SameSite = SameSiteMode.Strict,
                Secure = http.Request.IsHttps,
                Path = DashboardPath,
            });
            return await next(context);
        }
        return ProblemMapping.Problem(ErrorCodes.NotAuthenticated,
            $"The dashboard needs the operator key: the {OperatorKeyFilter.Header} header, or ?{QueryParameter}=… once in a browser.");
    }

    private static string Pass(string key) =>
        key.Length == 0 ? "" : Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(key), "chatcluster-dashboard"u8));

    private static bool Same(string given, string expected) =>
        given.Length > 0 && expected.Length > 0
        && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(expected));
}
