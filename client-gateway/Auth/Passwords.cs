using System.Text;

namespace ChatCluster.Gateway.Auth;

/// <summary>Agent passwords: bcrypt at cost 12 (T2). Hashing runs in the gateway, off the grains' threads.</summary>
public static class Passwords
{
    public const int WorkFactor = 12;
    public const int MinLength = 8;

    /// <summary>bcrypt reads at most 72 bytes; longer passwords would be silently truncated, so refuse them.</summary>
    public const int MaxBytes = 72;

    public static string? Problem(string? password)
    {
        if (string.IsNullOrEmpty(password) || password.Length < MinLength) return $"A password has at least {MinLength} characters.";
        if (Encoding.UTF8.GetByteCount(password) > MaxBytes) return $"A password has at most {MaxBytes} bytes of UTF-8.";
        return null;
    }

    public static string Hash(string password) => BCrypt.Net.BCrypt.HashPassword(password, WorkFactor);

    public static bool Verify(string password, string hash)
    {
        try
        {
            return BCrypt.Net.BCrypt.Verify(password, hash);
        }
        catch (BCrypt.Net.SaltParseException)
        {
            return false;
        }
    }

    /// <summary>A hash to verify against when the email is unknown, so timing does not reveal which emails exist.</summary>
    public static readonly Lazy<string> Decoy = new(() => Hash(Guid.NewGuid().ToString()));
}
