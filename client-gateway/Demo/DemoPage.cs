using System.Net;

namespace ChatCluster.Gateway.Demo;

/// <summary>
/// The root page: a stand-in "customer website" that embeds the widget through its one script tag.
/// The site key is the demo tenant's, or <c>?siteKey=</c> to try another tenant's widget.
/// </summary>
public static class DemoPage
{
    public static IEndpointRouteBuilder MapDemoPage(this IEndpointRouteBuilder app)
    {
        app.MapGet("/", Render).ExcludeFromDescription();
        return app;
    }

    private static async Task<IResult> Render(HttpContext http, IWebHostEnvironment env, IServiceProvider services, string? siteKey)
    {
        var file = env.WebRootFileProvider.GetFileInfo("demo.html");
        if (!file.Exists) return Results.NotFound();
        using var reader = new StreamReader(file.CreateReadStream());
        var template = await reader.ReadToEndAsync();
        var key = siteKey ?? services.GetService<DemoSeeder>()?.Tenant?.SiteKey ?? "";
        return Results.Content(template.Replace("{{SITE_KEY}}", WebUtility.HtmlEncode(key)), "text/html; charset=utf-8");
    }
}
