namespace ChatCluster.Grains;

/// <summary>A cheap shape check: we accept made-up addresses (W3), we only refuse non-addresses.</summary>
public static class EmailAddress
{
    public const int MaxLength = 254;

    public static bool LooksValid(string? value)
    {
        if (string.IsNullOrWhiteSpace(value) || value.Length > MaxLength) return false;
        var at = value.IndexOf('@');
        return at > 0 && at == value.LastIndexOf('@') && value.IndexOf('.', at) > at + 1 && !value.EndsWith('.')
               && !value.Any(char.IsWhiteSpace);
    }
}
