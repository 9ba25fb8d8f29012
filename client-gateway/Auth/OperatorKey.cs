using System.Security.Cryptography;
using System.Text;
using ChatCluster.Gateway.Api;
using ChatCluster.Gateway.Hosting;

namespace ChatCluster.Gateway.Auth;

/// <summary>Guards the operator API: the <c>X-Operator-Key</c> header must equal the configured key.</summary>
public sealed class OperatorKeyFilter(GatewayOptions options) : IEndpointFilter
{
    public const string Header = "X-Operator-Key";

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var given = context.HttpContext.Request.Headers[Header].ToString();
        var expected = options.OperatorKey ?? "";
        var ok = given.Length > 0 && expected.Length > 0
                 && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(expected));
        if (!ok)
            return ProblemMapping.Problem(ErrorCodes.NotAuthenticated, $"The operator API needs the {Header} header with the operator key (ChatCluster:Gateway:OperatorKey).");
        return await next(context);
    }
}
