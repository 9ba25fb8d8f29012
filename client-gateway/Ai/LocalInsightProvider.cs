using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace ChatCluster.Gateway.Ai;

/// <summary>
/// The default provider: needs no network and no model. Sentiment is counted from a small lexicon with negation
/// ("not happy" is negative); the summary is extractive — the sentences that share the most content words with the
/// whole conversation, in their original order. Crude, predictable, and nothing ever leaves the process.
/// </summary>
public sealed partial class LocalInsightProvider : IInsightProvider
{
    public const int MaxSummarySentences = 3;
    public const int MaxSummaryChars = 400;

    private static readonly HashSet<string> Positive = new(StringComparer.OrdinalIgnoreCase)
    {
        "thanks", "thank", "great", "good", "excellent", "perfect", "happy", "glad", "love", "awesome", "helpful", "resolved", "solved",
        "works", "working", "fixed", "appreciate", "wonderful", "fantastic", "nice", "pleased", "amazing", "brilliant", "quick", "fast",
        "easy", "satisfied", "best", "cool", "super", "fine", "kind", "friendly", "recommend", "danke", "merci", "gracias",
    };

    private static readonly HashSet<string> Negative = new(StringComparer.OrdinalIgnoreCase)
    {
        "bad", "terrible", "awful", "angry", "annoyed", "annoying", "frustrated", "frustrating", "disappointed", "disappointing", "broken",
        "problem", "issue", "error", "wrong", "late", "never", "refund", "complaint", "complain", "useless", "slow", "worst", "hate",
        "unhappy", "poor", "fail", "failed", "failing", "missing", "lost", "damaged", "cancel", "unacceptable", "ridiculous", "waiting",
        "stuck", "bug", "crash", "crashed", "scam", "rude", "confused", "horrible", "upset", "delay", "delayed",
    };

    private static readonly HashSet<string> Negations = new(StringComparer.OrdinalIgnoreCase)
    {
        "not", "no", "never", "dont", "don't", "doesnt", "doesn't", "didnt", "didn't", "isnt", "isn't", "wasnt", "wasn't", "cannot", "cant", "can't", "without",
    };

    private static readonly HashSet<string> StopWords = new(StringComparer.OrdinalIgnoreCase)
    {
        "the", "a", "an", "and", "or", "but", "to", "of", "in", "on", "for", "with", "is", "are", "was", "were", "be", "it", "this", "that",
        "i", "you", "we", "my", "your", "me", "our", "at", "as", "by", "from", "so", "if", "do", "does", "did", "have", "has", "had", "can",
        "could", "would", "will", "just", "please", "hi", "hello", "hey", "thanks", "thank", "ok", "okay", "yes", "no", "not", "there",
        "what", "when", "where", "how", "why", "let", "look", "am", "im", "i'm", "it's", "its", "they", "them", "he", "she", "his", "her",
    };

    public string Name => "local";

    public string? Model => "lexicon-extractive-1";

    public bool IsRemote => false;

    public Task<ConversationAnalysis> AnalyzeConversation(IReadOnlyList<TranscriptLine> lines, AiCallContext context, CancellationToken cancellationToken)
    {
        var visitorLines = lines.Where(l => l.Speaker == "visitor").ToList();
        var score = Sentiment(visitorLines.Count > 0 ? visitorLines : lines);
        var label = score > 0.15 ? "positive" : score < -0.15 ? "negative" : "neutral";
        return Task.FromResult(new ConversationAnalysis(label, Math.Round(score, 2), Summarize(lines)));
    }

    public Task<string> WriteDigest(string facts, AiCallContext context, CancellationToken cancellationToken) =>
        Task.FromResult(facts);

    /// <summary>(positive − negative) hits over the square root of the words, clipped to −1…1.</summary>
    public static double Sentiment(IEnumerable<TranscriptLine> lines)
    {
        int positive = 0, negative = 0, words = 0;
        foreach (var line in lines)
        {
            var negatedFor = 0;
            foreach (var word in Words(line.Text))
            {
                words++;
                if (Negations.Contains(word))
                {
                    negatedFor = 3;
                    continue;
                }
                var sign = Positive.Contains(word) ? 1 : Negative.Contains(word) ? -1 : 0;
                if (negatedFor-- > 0) sign = -sign;
                if (sign > 0) positive++;
                else if (sign < 0) negative++;
            }
        }
        if (words == 0) return 0;
        return Math.Clamp((positive - negative) / Math.Sqrt(words), -1, 1);
    }

    /// <summary>The most representative sentences, in conversation order, each prefixed with its speaker.</summary>
    public static string Summarize(IReadOnlyList<TranscriptLine> lines)
    {
        var sentences = lines
            .SelectMany((line, index) => SentencePattern().Matches(line.Text).Select(m => (line.Speaker, Text: m.Value.Trim(), Index: index)))
            .Where(s => s.Text.Length > 0)
            .Select((s, order) => (s.Speaker, s.Text, Order: order))
            .ToList();
        if (sentences.Count == 0) return "";

        var frequency = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        foreach (var word in sentences.SelectMany(s => ContentWords(s.Text))) frequency[word] = frequency.GetValueOrDefault(word) + 1;

        var firstVisitor = sentences.FirstOrDefault(s => s.Speaker == "visitor").Order;
        var chosen = sentences
            .Select(s =>
            {
                var content = ContentWords(s.Text).ToList();
                var score = content.Count == 0 ? 0 : content.Sum(w => frequency[w]) / Math.Sqrt(content.Count);
                if (s.Order == firstVisitor) score *= 1.5; // the opening request is usually what the chat is about
                return (s.Speaker, s.Text, s.Order, Score: score);
            })
            .OrderByDescending(s => s.Score).ThenBy(s => s.Order)
            .Take(MaxSummarySentences)
            .OrderBy(s => s.Order);

        var summary = new StringBuilder();
        foreach (var s in chosen)
        {
            var piece = $"{CultureInfo.InvariantCulture.TextInfo.ToTitleCase(s.Speaker)}: {s.Text}";
            if (summary.Length > 0 && summary.Length + piece.Length + 1 > MaxSummaryChars) break;
            if (summary.Length > 0) summary.Append(' ');
            summary.Append(piece.Length > MaxSummaryChars ? piece[..(MaxSummaryChars - 1)] + "…" : piece);
        }
        return summary.ToString();
    }

    private static IEnumerable<string> ContentWords(string text) =>
        Words(text).Where(w => w.Length > 2 && !StopWords.Contains(w) && !w.StartsWith('[')).Select(w => w.ToLowerInvariant());

    private static IEnumerable<string> Words(string text) => WordPattern().Matches(text).Select(m => m.Value);

    [GeneratedRegex(@"[^.!?\n]+[.!?]*")]
    private static partial Regex SentencePattern();

    [GeneratedRegex(@"\[[A-Z]+_\d+\]|[\p{L}']+")]
    private static partial Regex WordPattern();
}
