using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace ChatCluster.Integrations;

/// <summary>
/// The signature of a webhook delivery (I2): header <c>ChatCluster-Signature: t={unix seconds},v1={hex}</c>, where the hex
/// is HMAC-SHA256 with the endpoint's secret over <c>"{t}.{body}"</c> (the body's exact bytes). Binding the time into
/// the MAC lets a receiver refuse an old delivery replayed at it; docs/integrations.md has the recipe for other languages.
/// </summary>
public static class WebhookSignature
{
    public const string Header = "ChatCluster-Signature";
    public const string EventHeader = "ChatCluster-Event";
    public const string DeliveryHeader = "ChatCluster-Delivery";

    public static string Sign(string secret, DateTimeOffset at, ReadOnlySpan<byte> body)
    {
        var t = at.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        return $"t={t},v1={Convert.ToHexStringLower(Mac(secret, t, body))}";
    }

    /// <summary>Checks a header against the body; false for a bad MAC, a malformed header or a time outside <paramref name="tolerance"/>.</summary>
    public static bool Verify(string secret, string? header, ReadOnlySpan<byte> body, DateTimeOffset now, TimeSpan tolerance)
    {
        if (string.IsNullOrEmpty(header) || header.Length > 512) return false;
        string? t = null;
        var candidates = new List<string>();
        foreach (var part in header.Split(','))
        {
            var at = part.IndexOf('=');
            if (at <= 0) return false;
            var (name, value) = (part[..at].Trim(), part[(at + 1)..].Trim());
            if (name == "t") t = value;
            else if (name == "v1") candidates.Add(value);
        }
        if (t is null || candidates.Count == 0 || !long.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)) return false;
        if (seconds < 0 || seconds > 253402300799 || (now - DateTimeOffset.FromUnixTimeSeconds(seconds)).Duration() > tolerance) return false;
        var expected = Mac(secret, t, body);
        foreach (var candidate in candidates)
        {
            if (candidate.Length != expected.Length * 2) continue;
            byte[] given;
            try
            {
                given = Convert.FromHexString(candidate);
            }
            catch (FormatException)
            {
                continue;
            }
            if (CryptographicOperations.FixedTimeEquals(given, expected)) return true;
        }
        return false;
    }

    private static byte[] Mac(string secret, string t, ReadOnlySpan<byte> body)
    {
        var prefix = Encoding.UTF8.GetBytes(t + ".");
        var signed = new byte[prefix.Length + body.Length];
        prefix.CopyTo(signed, 0);
        body.CopyTo(signed.AsSpan(prefix.Length));
        return HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), signed);
    }
}

/// <summary>
/// A sample receiver-side check (docs/integrations.md): the signature must verify within five minutes of its time, and a
/// delivery (the signed body's <c>id</c>) is accepted once, so a captured request replayed at the receiver, even within
/// the window, is refused. Retries of one delivery share its id: a receiver that took it once answers the retry 2xx too.
/// </summary>
public sealed class WebhookVerifier(string secret, TimeProvider time)
{
    public static readonly TimeSpan Tolerance = TimeSpan.FromMinutes(5);

    private readonly Dictionary<string, DateTimeOffset> seen = new(StringComparer.Ordinal);
    private readonly Lock gate = new();

    public enum Verdict { Accepted, BadSignature, Replayed }

    public Verdict Check(string? signatureHeader, ReadOnlySpan<byte> body)
    {
        var now = time.GetUtcNow();
        if (!WebhookSignature.Verify(secret, signatureHeader, body, now, Tolerance)) return Verdict.BadSignature;
        // The id is read from the signed body, never from a header an attacker could change.
        if (DeliveryId(body) is not { } deliveryId) return Verdict.BadSignature;
        lock (gate)
        {
            // Ids older than the window can go: their signatures no longer verify anyway.
            foreach (var old in seen.Where(s => now - s.Value > Tolerance * 2).Select(s => s.Key).ToList()) seen.Remove(old);
            return seen.TryAdd(deliveryId, now) ? Verdict.Accepted : Verdict.Replayed;
        }
    }

    private static string? DeliveryId(ReadOnlySpan<byte> body)
    {
        try
        {
            var reader = new System.Text.Json.Utf8JsonReader(body);
            using var document = System.Text.Json.JsonDocument.ParseValue(ref reader);
            return document.RootElement.ValueKind == System.Text.Json.JsonValueKind.Object
                && document.RootElement.TryGetProperty("id", out var id) && id.ValueKind == System.Text.Json.JsonValueKind.String ? id.GetString() : null;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }
}
