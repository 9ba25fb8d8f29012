using ChatCluster.Gateway.Protocol;

namespace ChatCluster.Gateway.Sockets;

/// <summary>Rating at close and confirming the transcript address (visitors), and transfer between agents (T3).</summary>
public sealed partial class ChatConnection
{
    private async Task Rate(Session s, RateFrame rate)
    {
        if (s.IsAgent) throw ChatRuleException.Forbidden("Only the visitor rates a conversation.");
        var conversationId = Require(rate.ConversationId, "conversationId");
        var score = rate.Score ?? throw new ChatRuleException(ErrorCodes.MissingField, "The frame needs \"score\" (1 to 5).");
        var rating = await Conversation(conversationId).Rate(s.Me, score, rate.Comment);
        Send(new RatedFrame { Id = rate.Id, ConversationId = conversationId, Score = rating.Score });
    }

    /// <summary>The code mailed to the transcript address (issue 15); the reply is the conversation with its new transcript status.</summary>
    private async Task ConfirmTranscript(Session s, ConfirmTranscriptFrame confirm)
    {
        if (s.IsAgent) throw ChatRuleException.Forbidden("Only the visitor confirms their transcript address.");
        var conversationId = Require(confirm.ConversationId, "conversationId");
        var code = Require(confirm.Code, "code");
        if (code.Length > 16) throw ChatRuleException.Invalid("A confirmation code is six digits.");
        var summary = await Conversation(conversationId).ConfirmTranscript(s.Me, code);
        Send(new ConversationEventFrame { Id = confirm.Id, Conversation = Dto.From(summary), By = Dto.From(s.Me) });
    }

    private async Task Transfer(Session s, TransferFrame transfer)
    {
        if (!s.IsAgent) throw ChatRuleException.Forbidden("Only agents transfer conversations.");
        var conversationId = Require(transfer.ConversationId, "conversationId");
        var toAgentId = Require(transfer.ToAgentId, "toAgentId");
        var summary = await Conversation(conversationId).Transfer(s.Me, toAgentId);
        Send(new ConversationEventFrame { Id = transfer.Id, Conversation = Dto.From(summary), By = Dto.From(s.Me) });
    }
}
