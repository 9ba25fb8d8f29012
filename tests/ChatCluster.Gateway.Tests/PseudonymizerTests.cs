using ChatCluster.Gateway.Ai;

namespace ChatCluster.Gateway.Tests;

/// <summary>A2: the redaction rules on their own — stable placeholders, a faithful way back, and no harm to ordinary text.</summary>
public sealed class PseudonymizerTests
{
    [Fact]
    public void The_same_value_gets_the_same_placeholder_and_reidentification_restores_it()
    {
        var mask = new Pseudonymizer(["Anna Berg"], []);
        var first = mask.Redact("Anna Berg wrote from anna@berg.example.");
        var second = mask.Redact("Again: anna@berg.example, signed Anna Berg.");
        Assert.Equal("[NAME_1] wrote from [EMAIL_1].", first);
        Assert.Equal("Again: [EMAIL_1], signed [NAME_1].", second);
        Assert.Equal("Anna Berg wrote from anna@berg.example.", mask.Reidentify(first));
        Assert.Equal(2, mask.Counts["email"]);
    }

    [Fact]
    public void Capitalised_names_found_by_heuristics_are_replaced_everywhere_they_appear()
    {
        var texts = new[] { "Hello, my name is Piotr Nowak.", "Piotr here again, thanks Dr Smith" };
        var mask = new Pseudonymizer([], texts);
        var redacted = string.Join(" ", texts.Select(mask.Redact));
        Assert.DoesNotContain("Piotr", redacted);
        Assert.DoesNotContain("Nowak", redacted);
        Assert.DoesNotContain("Smith", redacted);
    }

    [Fact]
    public void Dates_times_order_numbers_and_lower_case_words_are_left_alone_but_long_numbers_are_not()
    {
        var mask = new Pseudonymizer(["Owner of acme"], []);
        var text = "Order 991 of 2025-03-03 at 10:45:30 costs 19.99; account 1234 5678 9012 3456 7";
        var redacted = mask.Redact(text);
        Assert.StartsWith("Order 991 of 2025-03-03 at 10:45:30 costs 19.99; account [", redacted);
        Assert.DoesNotContain("9012", redacted);
    }

    [Fact]
    public void Only_card_numbers_that_pass_the_luhn_check_are_called_cards()
    {
        var mask = new Pseudonymizer([], []);
        Assert.Equal("[CARD_1]", mask.Redact("4111-1111-1111-1111"));
        Assert.Equal("[NUMBER_1]", mask.Redact("4111-1111-1111-1112"));
    }
}
