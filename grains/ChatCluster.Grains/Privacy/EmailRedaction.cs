namespace ChatCluster.Grains.Privacy;

/// <summary>
/// The only form in which an email may outlive retention (R2): first letter of the mailbox and of the domain,
/// and the top-level domain — <c>jo.smith@example.co.uk</c> becomes <c>j***@e***.uk</c>.
/// </summary>
public static class EmailRedaction
{
    public static string? Redact(string? email)
    {
        if (string.IsNullOrWhiteSpace(email)) return null;
        var at = email.LastIndexOf('@');
        if (at <= 0 || at == email.Length - 1) return "***";
        var domain = email[(at + 1)..];
        var dot = domain.LastIndexOf('.');
        var tld = dot > 0 && dot < domain.Length - 1 ? domain[(dot + 1)..] : "";
        return $"{email[0]}***@{domain[0]}***{(tld.Length > 0 ? "." + tld : "")}";
    }
}
