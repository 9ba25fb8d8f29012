using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using ChatCluster.Grains.Integrations;
using Microsoft.Extensions.Options;

namespace ChatCluster.Silo.Hosting.Webhooks;

/// <summary>
/// Posts webhook deliveries. The target's name is resolved here and every address is checked before connecting, so a
/// name that resolves (or later re-resolves) to a private address is refused as a literal one would be; redirects are
/// not followed, since a redirect could point anywhere. The answer's body is never read.
/// </summary>
public sealed class HttpWebhookSender : IWebhookSender, IDisposable
{
    private readonly HttpClient client;

    public HttpWebhookSender(IOptions<WebhookOptions> options)
    {
        var allowPrivate = options.Value.AllowPrivateTargets;
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            UseCookies = false,
            ConnectCallback = async (context, cancel) =>
            {
                var addresses = IPAddress.TryParse(context.DnsEndPoint.Host, out var literal)
                    ? [literal]
                    : await Dns.GetHostAddressesAsync(context.DnsEndPoint.Host, cancel);
                var allowed = addresses.Where(a => allowPrivate || !WebhookTargets.IsPrivate(a)).ToArray();
                if (allowed.Length == 0) throw new BlockedTargetException(context.DnsEndPoint.Host);
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(allowed, context.DnsEndPoint.Port, cancel);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        client.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("ChatCluster-Webhooks", "1"));
    }

    public async Task<WebhookSendResult> Send(Uri url, byte[] body, IReadOnlyDictionary<string, string> headers, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        foreach (var (name, value) in headers) request.Headers.TryAddWithoutValidation(name, value);
        try
        {
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancel.Token);
            return new WebhookSendResult((int)response.StatusCode, null);
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            return new WebhookSendResult(null, $"No answer within {timeout.TotalSeconds:0.#} s.");
        }
        catch (HttpRequestException ex) when (ex.InnerException is BlockedTargetException blocked)
        {
            return new WebhookSendResult(null, blocked.Message);
        }
        catch (HttpRequestException ex)
        {
            return new WebhookSendResult(null, ex.HttpRequestError == HttpRequestError.Unknown ? "Request failed." : $"Request failed: {ex.HttpRequestError}.");
        }
    }

    public void Dispose() => client.Dispose();

    private sealed class BlockedTargetException(string host)
        : Exception($"'{host}' resolves only to private, loopback or link-local addresses, which are refused (ChatCluster:Webhooks:AllowPrivateTargets).");
}
