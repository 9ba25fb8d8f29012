using System.Text;
using System.Text.RegularExpressions;

namespace ChatCluster.Gateway.Ai;

/// <summary>
/// Replaces personal data in text with stable placeholders (<c>[EMAIL_1]</c>, <c>[NAME_2]</c>…) before it is given to an
/// AI provider (A2), and puts the originals back into the provider's answer for display to the tenant's agents. One
/// instance per request: the mapping lives only in this object, in this process, and is never sent anywhere.
/// Rules, in order: emails, IP addresses, card numbers (Luhn), other long digit runs, phone numbers, street addresses
/// and postcodes, then names — the known names given by the caller and capitalised-name heuristics.
/// </summary>
public sealed partial class Pseudonymizer
{
    private static readonly HashSet<string> NotNames = new(StringComparer.OrdinalIgnoreCase)
    {
        "I", "A", "An", "The", "Hello", "Hi", "Hey", "Dear", "Thanks", "Thank", "You", "Please", "Yes", "No", "Ok", "Okay", "Good",
        "Morning", "Afternoon", "Evening", "My", "Your", "Our", "We", "It", "This", "That", "There", "Here", "What", "When", "Where",
        "Why", "How", "Can", "Could", "Would", "Will", "Is", "Are", "Do", "Does", "Did", "Not", "And", "But", "Or", "If", "So", "Sorry",
        "Great", "Sure", "Best", "Kind", "Regards", "Cheers", "Welcome", "Order", "Support", "Team", "Customer", "Service", "Agent",
        "Visitor", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday", "January", "February", "March",
        "April", "May", "June", "July", "August", "September", "October", "November", "December", "Chat", "Just", "Also", "Still",
        "Let", "Me", "Looking", "Now", "Today", "Tomorrow", "Yesterday", "All", "Any", "Some", "One", "Two", "Many", "Much", "Very",
        "EMAIL", "NAME", "PHONE", "IP", "CARD", "NUMBER", "ADDRESS",
    };

    private readonly Dictionary<string, string> placeholderByOriginal = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, string> originalByPlaceholder = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> nextNumber = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> counts = new(StringComparer.Ordinal);
    private readonly List<string> names;

    /// <param name="knownNames">Names the system knows (the visitor's, the agents'); each and each of their words is replaced.</param>
    /// <param name="corpus">All text that will be redacted, scanned once for names the heuristics find.</param>
    public Pseudonymizer(IEnumerable<string?> knownNames, IEnumerable<string> corpus)
    {
        var found = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var name in knownNames.Concat(corpus.SelectMany(HeuristicNames)))
        {
            if (string.IsNullOrWhiteSpace(name)) continue;
            found.Add(name.Trim());
            // Each capitalised word of a name too ("Joanna" of "Joanna Tester"); lower-case words such as "of" are not names.
            foreach (var part in name.Split([' ', '\t', '.', ',', '(', ')'], StringSplitOptions.RemoveEmptyEntries))
            {
                if (part.Length >= 2 && char.IsUpper(part[0]) && !NotNames.Contains(part)) found.Add(part);
            }
        }
        names = [.. found.OrderByDescending(n => n.Length)];
    }

    /// <summary>How many items of each kind were replaced so far (for the call log).</summary>
    public IReadOnlyDictionary<string, int> Counts => counts;

    public int Total => counts.Values.Sum();

    public string Redact(string text)
    {
        text = EmailPattern().Replace(text, m => Placeholder("email", m.Value));
        text = Ipv4Pattern().Replace(text, m => IsIpv4(m.Value) ? Placeholder("ip", m.Value) : m.Value);
        text = Ipv6Pattern().Replace(text, m => m.Value.Count(c => c == ':') >= 3 || m.Value.Contains("::") ? Placeholder("ip", m.Value) : m.Value);
        text = LongDigitsPattern().Replace(text, m =>
        {
            var digits = Digits(m.Value);
            if (digits.Length is >= 13 and <= 19 && Luhn(digits)) return Placeholder("card", m.Value);
            return digits.Length > 15 ? Placeholder("number", m.Value) : m.Value;
        });
        text = PhonePattern().Replace(text, m =>
        {
            if (IsoDatePattern().IsMatch(m.Value)) return m.Value;
            var digits = Digits(m.Value).Length;
            return digits is >= 7 and <= 15 ? Placeholder("phone", m.Value) : m.Value;
        });
        text = StreetPattern().Replace(text, m => Placeholder("address", m.Value));
        text = ContinentalStreetPattern().Replace(text, m => Placeholder("address", m.Value));
        text = UkPostcodePattern().Replace(text, m => Placeholder("address", m.Value));
        foreach (var name in names)
        {
            text = Regex.Replace(text, $@"(?<![\p{{L}}\[])({Regex.Escape(name)})(?![\p{{L}}_])", m => Placeholder("name", m.Value),
                RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        }
        return text;
    }

    /// <summary>Puts the originals back, for display inside this process only.</summary>
    public string Reidentify(string text) =>
        PlaceholderPattern().Replace(text, m => originalByPlaceholder.TryGetValue(m.Value, out var original) ? original : m.Value);

    private string Placeholder(string kind, string original)
    {
        counts[kind] = counts.GetValueOrDefault(kind) + 1;
        var key = kind + "\u0001" + original.Trim();
        if (placeholderByOriginal.TryGetValue(key, out var existing)) return existing;
        var number = nextNumber[kind] = nextNumber.GetValueOrDefault(kind) + 1;
        var placeholder = $"[{kind.ToUpperInvariant()}_{number}]";
        placeholderByOriginal[key] = placeholder;
        originalByPlaceholder[placeholder] = original.Trim();
        return placeholder;
    }

    /// <summary>"my name is Anna Berg", "Mr Smith", and pairs of capitalised words such as "Anna Berg".</summary>
    private static IEnumerable<string> HeuristicNames(string text)
    {
        foreach (Match m in IntroducedNamePattern().Matches(text).Concat(TitledNamePattern().Matches(text)))
        {
            var words = m.Groups["name"].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (!NotNames.Contains(words[0])) yield return string.Join(' ', words.TakeWhile(w => !NotNames.Contains(w)));
        }
        foreach (Match m in CapitalisedPairPattern().Matches(text))
        {
            var (first, second) = (m.Groups[1].Value, m.Groups[2].Value);
            if (!NotNames.Contains(first) && !NotNames.Contains(second)) yield return first + " " + second;
        }
    }

    private static string Digits(string s) => new([.. s.Where(char.IsAsciiDigit)]);

    private static bool IsIpv4(string s) => s.Split('.').All(p => int.TryParse(p, out var n) && n <= 255);

    private static bool Luhn(string digits)
    {
        var sum = 0;
        var doubleIt = false;
        for (var i = digits.Length - 1; i >= 0; i--)
        {
            var d = digits[i] - '0';
            if (doubleIt && (d *= 2) > 9) d -= 9;
            sum += d;
            doubleIt = !doubleIt;
        }
        return sum % 10 == 0;
    }

    [GeneratedRegex(@"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")]
    private static partial Regex EmailPattern();

    [GeneratedRegex(@"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.]*\d)")]
    private static partial Regex Ipv4Pattern();

    [GeneratedRegex(@"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{1,4}(?![\w:])")]
    private static partial Regex Ipv6Pattern();

    [GeneratedRegex(@"(?<![\d\w])\d(?:[ \-]?\d){12,22}(?![\d\w])")]
    private static partial Regex LongDigitsPattern();

    [GeneratedRegex(@"(?<![\w\[])\+?\(?\d[\d \-().]{5,}\d(?![\w\]])")]
    private static partial Regex PhonePattern();

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}$")]
    private static partial Regex IsoDatePattern();

    [GeneratedRegex(@"\b\d{1,5}[A-Za-z]?,?\s+(?:[A-Z][\w'\-]*\.?\s+){1,4}(?:Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Boulevard|Blvd|Drive|Dr|Way|Court|Ct|Place|Pl|Square|Sq|Terrace|Close|Crescent|Highway|Hwy|Parkway|Row|Gardens)\b\.?")]
    private static partial Regex StreetPattern();

    [GeneratedRegex(@"\b[A-ZÄÖÜ][\p{L}\-]*(?:straße|strasse|str\.|gasse|weg|platz|allee|laan|straat|gade|vej|rue)\s+\d{1,4}[a-z]?\b", RegexOptions.IgnoreCase)]
    private static partial Regex ContinentalStreetPattern();

    [GeneratedRegex(@"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b")]
    private static partial Regex UkPostcodePattern();

    [GeneratedRegex(@"(?i:\b(?:my name is|my name's|i am|i'm|this is|call me|it's|regards,?|thanks,?|cheers,?|sincerely,?)\s+)(?<name>[A-Z][\p{Ll}'\-]+(?:\s+[A-Z][\p{Ll}'\-]+)?)")]
    private static partial Regex IntroducedNamePattern();

    [GeneratedRegex(@"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Herr|Frau|Mme|Mlle)\.?\s+(?<name>[A-Z][\p{Ll}'\-]+(?:\s+[A-Z][\p{Ll}'\-]+)?)")]
    private static partial Regex TitledNamePattern();

    [GeneratedRegex(@"\b([A-Z][\p{Ll}'\-]+)\s+([A-Z][\p{Ll}'\-]+)\b")]
    private static partial Regex CapitalisedPairPattern();

    [GeneratedRegex(@"\[(?:EMAIL|NAME|PHONE|IP|CARD|NUMBER|ADDRESS)_\d+\]")]
    private static partial Regex PlaceholderPattern();
}
