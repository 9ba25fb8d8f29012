namespace ChatCluster.Grains.Tenants;

/// <summary>The origins a tenant's widget may connect from (W1), in one canonical form.</summary>
public static class AllowedOrigins
{
    public const int MaxCount = 50;

    /// <summary>Validates and canonicalises origins (<c>scheme://host[:port]</c>, lower case, no path).</summary>
    public static List<string> Normalise(IEnumerable<string> origins)
    {
        var result = new List<string>();
        foreach (var raw in origins)
        {
            if (!TryCanonical(raw, out var origin))
                throw ChatRuleException.Invalid($"'{raw}' is not an origin: use scheme://host[:port], e.g. https://www.example.com.");
            if (!result.Contains(origin)) result.Add(origin);
        }
        if (result.Count > MaxCount) throw ChatRuleException.Invalid($"At most {MaxCount} allowed origins.");
        return result;
    }

    public static bool TryCanonical(string? raw, out string origin)
    {
        origin = "";
        if (string.IsNullOrWhiteSpace(raw)) return false;
        if (!Uri.TryCreate(raw.Trim(), UriKind.Absolute, out var uri)) return false;
        if (uri.Scheme is not ("http" or "https")) return false;
        if (uri.AbsolutePath is not ("/" or "") || !string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment)) return false;
        origin = uri.IsDefaultPort ? $"{uri.Scheme}://{uri.Host}" : $"{uri.Scheme}://{uri.Host}:{uri.Port}";
        return true;
    }
}
