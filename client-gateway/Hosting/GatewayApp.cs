using System.ComponentModel.DataAnnotations;
using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using ChatCluster.Gateway.Abuse;
using ChatCluster.Gateway.Ai;
using ChatCluster.Gateway.Api;
using ChatCluster.Gateway.Auth;
using ChatCluster.Gateway.Delivery;
using ChatCluster.Gateway.Demo;
using ChatCluster.Gateway.Presence;
using ChatCluster.Gateway.Geo;
using ChatCluster.Gateway.Integrations;
using ChatCluster.Gateway.Routing;
using ChatCluster.Gateway.Sockets;
using ChatCluster.Gateway.Operations;
using ChatCluster.Silo.Hosting.Mail;
using ChatCluster.Silo.Hosting.Operations;
using Orleans.Dashboard;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace ChatCluster.Gateway.Hosting;

/// <summary>Builds the gateway: a table of contents of its features. Tests build it the same way.</summary>
public static class GatewayApp
{
    public const string DefaultUrl = "http://localhost:5080";

    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        configure?.Invoke(builder);
        if (string.IsNullOrEmpty(builder.Configuration[WebHostDefaults.ServerUrlsKey])) builder.WebHost.UseUrls(DefaultUrl);

        var gateway = Bind<GatewayOptions>(builder.Configuration, GatewayOptions.Section);
        var auth = Bind<AuthOptions>(builder.Configuration, AuthOptions.Section);
        var demo = Bind<DemoOptions>(builder.Configuration, DemoOptions.Section);
        var abuse = Bind<AbuseOptions>(builder.Configuration, AbuseOptions.Section);
        ApplyModeDefaults(gateway, auth);

        builder.Services.AddSingleton(gateway).AddSingleton(auth).AddSingleton(demo).AddSingleton(abuse);
        builder.Services.AddSingleton<VisitorQuotas>();
        builder.Services.AddSingleton<HealthProbe>();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.AddChatClusterConnection(gateway);
        builder.Services.AddChatDelivery();
        builder.Services.AddChatPresence(builder.Configuration);
        builder.Services.AddChatClusterAi(builder.Configuration);
        builder.Services.AddAgentRouting();
        builder.Services.AddChatSockets();
        builder.Services.AddSingleton(LoadCountries(gateway));
        builder.Services.AddSingleton<GatewayMetrics>();
        // The embedded silo's mail counters too; in Client mode nothing publishes on that meter.
        builder.Services.AddChatClusterMetrics("chatcluster-gateway", GatewayMetrics.MeterName, MailMetrics.MeterName);
        builder.Services.AddHostedService<GatewayDrain>();
        if (gateway.Mode == ClusterMode.Embedded && demo.Enabled)
        {
            builder.Services.AddSingleton<DemoSeeder>();
            builder.Services.AddHostedService(sp => sp.GetRequiredService<DemoSeeder>());
        }

        builder.Services.TryAddSingleton<LoginThrottle>(); // a test may bring one on a fake clock
        var tokens = new AgentTokens(auth, TimeProvider.System);
        builder.Services.AddSingleton(tokens);
        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer(o =>
        {
            o.MapInboundClaims = false;
            o.TokenValidationParameters = tokens.ValidationParameters;
        });
        // Every agent policy also requires an open tenant (R3): a closed tenant's tokens get 403 tenant_closed.
        var openTenant = new OpenTenantRequirement();
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(AgentEndpoints.AgentPolicy, p => p.RequireClaim(AgentTokens.TenantClaim).RequireAssertion(c => !AgentTokens.IsEnrolOnly(c.User)).AddRequirements(openTenant))
            .AddPolicy(AgentEndpoints.AdminPolicy, p => p.RequireClaim(AgentTokens.TenantClaim).RequireRole("admin", "owner").RequireAssertion(c => !AgentTokens.IsEnrolOnly(c.User)).AddRequirements(openTenant))
            .AddPolicy(MfaEndpoints.EnrolPolicy, p => p.RequireClaim(AgentTokens.TenantClaim).AddRequirements(openTenant));
        builder.Services.AddSingleton<TenantStandings>();
        builder.Services.AddHostedService<TenantClosureWatch>(); // closures made anywhere reach this gateway's sockets within a poll
        builder.Services.AddHostedService<SessionRevocation>();
        builder.Services.AddSingleton<IAuthorizationHandler, OpenTenantHandler>();
        builder.Services.AddSingleton<IAuthorizationMiddlewareResultHandler, TenantStandingResultHandler>();
        builder.Services.AddChatClusterIntegrations();
        builder.Services.AddSingleton<OperatorKeyFilter>();
        builder.Services.AddSingleton<OperatorAccess>();
        builder.Services.AddChatClusterOpenApi();
        builder.Services.AddProblemDetails(o => o.CustomizeProblemDetails = ProblemMapping.AddCodeByStatus);
        builder.Services.AddExceptionHandler<ProblemMapping>();
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase)));

        var app = builder.Build();
        if (ForwardedHeaders(gateway) is { } forwarded) app.UseForwardedHeaders(forwarded);
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseApiBodyLimit();
        app.UseChatSocketTransport();
        app.UseWebSockets();
        app.UseDefaultFiles();
        app.UseStaticFiles();
        app.UseAuthentication();
        app.UseAuthorization();

        app.MapChatClusterOpenApi();
        app.MapChatSocket();
        app.MapHealthEndpoints();
        app.MapChatClusterMetrics();
        app.MapOrleansDashboard(OperatorAccess.DashboardPath).AddEndpointFilter<OperatorAccess>().WithTags("Operator").ExcludeFromDescription();
        app.MapTenantEndpoints();
        app.MapAuthEndpoints();
        app.MapAgentEndpoints();
        app.MapTeamEndpoints();
        app.MapAssignmentEndpoints();
        app.MapMfaEndpoints();
        app.MapTranscriptSettingsEndpoints();
        app.MapPrivacyEndpoints();
        app.MapSubjectRightsEndpoints();
        app.MapSelfServiceEndpoints();
        app.MapAccountClosureEndpoints();
        app.MapReportEndpoints();
        app.MapInsightEndpoints();
        app.MapChatClusterIntegrations();
        app.MapDemoPage();

        app.Lifetime.ApplicationStarted.Register(() => app.Services.GetRequiredService<SelfOrigins>().Set(ListeningOrigins(app)));
        return app;
    }

    /// <summary>The embedded default needs no configuration; cluster mode must be told its secrets.</summary>
    private static void ApplyModeDefaults(GatewayOptions gateway, AuthOptions auth)
    {
        if (gateway.Mode == ClusterMode.Embedded)
        {
            gateway.OperatorKey ??= Ids.Random(16);
            auth.SigningKey ??= AgentTokens.NewSigningKey();
            return;
        }
        if (string.IsNullOrWhiteSpace(gateway.OperatorKey))
            throw new OptionsValidationException($"{GatewayOptions.Section}:OperatorKey", typeof(GatewayOptions),
                [$"{GatewayOptions.Section}:OperatorKey is required in Client mode (env ChatCluster__Gateway__OperatorKey)."]);
        if (string.IsNullOrWhiteSpace(auth.SigningKey))
            throw new OptionsValidationException($"{AuthOptions.Section}:SigningKey", typeof(AuthOptions),
                [$"{AuthOptions.Section}:SigningKey is required in Client mode: base64 of 32+ random bytes, the same on every gateway (env ChatCluster__Auth__SigningKey)."]);
    }

    /// <summary>Binds and validates a section; a bad value fails start-up with a message naming the key.</summary>
    public static T Bind<T>(IConfiguration configuration, string section) where T : new()
    {
        T options;
        try
        {
            options = configuration.GetSection(section).Get<T>() ?? new T();
        }
        catch (InvalidOperationException ex)
        {
            throw new OptionsValidationException(section, typeof(T), [$"{section}: {ex.InnerException?.Message ?? ex.Message}"]);
        }
        var results = new List<ValidationResult>();
        if (!Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true))
            throw new OptionsValidationException(section, typeof(T), [.. results.Select(r => $"{section}:{string.Join(",", r.MemberNames)}: {r.ErrorMessage}")]);
        return options;
    }

    /// <summary>
    /// Forwarded headers are honoured from the configured proxies only, through any number of them (a CDN in front
    /// of a load balancer): the client is the first address, from the right, that is not a trusted proxy.
    /// </summary>
    private static ForwardedHeadersOptions? ForwardedHeaders(GatewayOptions gateway)
    {
        if (gateway.TrustedProxies.Length == 0) return null;
        var options = new ForwardedHeadersOptions
        {
            ForwardedHeaders = Microsoft.AspNetCore.HttpOverrides.ForwardedHeaders.XForwardedFor | Microsoft.AspNetCore.HttpOverrides.ForwardedHeaders.XForwardedProto,
            ForwardLimit = null,
        };
        options.KnownProxies.Clear();
        options.KnownIPNetworks.Clear();
        foreach (var entry in gateway.TrustedProxies) options.KnownIPNetworks.Add(GatewayOptions.ProxyNetwork(entry)!.Value);
        return options;
    }

    /// <summary>The country table, read once at start; a missing file or a bad line stops the start with what to fix.</summary>
    private static CountryTable LoadCountries(GatewayOptions gateway)
    {
        try
        {
            return CountryTable.Load(gateway.CountryTablePath);
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            throw new OptionsValidationException(GatewayOptions.Section, typeof(GatewayOptions), [$"{GatewayOptions.Section}:CountryTablePath: {ex.Message}"]);
        }
    }

    private static IEnumerable<string> ListeningOrigins(WebApplication app)
    {
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        foreach (var address in addresses)
        {
            if (!Uri.TryCreate(address.Replace("://+", "://localhost").Replace("://*", "://localhost"), UriKind.Absolute, out var uri)) continue;
            var port = uri.IsDefaultPort ? "" : $":{uri.Port}";
            yield return $"{uri.Scheme}://{uri.Host}{port}";
            var loopback = uri.Host == "localhost" || (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) && (IPAddress.IsLoopback(ip) || ip.Equals(IPAddress.Any) || ip.Equals(IPAddress.IPv6Any)));
            if (loopback)
            {
                yield return $"{uri.Scheme}://localhost{port}";
                yield return $"{uri.Scheme}://127.0.0.1{port}";
            }
        }
    }
}
