using System.Text.Json;
using System.Text.Json.Nodes;
using ChatCluster.Integrations;

namespace ChatCluster.Grains.Integrations;

/// <summary>
/// The JSON body of one delivery. Personal fields (the visitor's name and email, message text, a rating's comment, a
/// visitor's display name as sender) are written only when the endpoint asked for them and the visitor has not
/// restricted processing (R5); an erasure event names what was erased, by kind and count, never the data.
/// </summary>
public static class WebhookPayload
{
    public static byte[] Build(string deliveryId, string eventId, string tenantId, WebhookEvent e, bool includePersonalData)
    {
        var personal = includePersonalData && !e.ProcessingRestricted;
        var data = new JsonObject();
        if (e.ConversationId is not null) data["conversationId"] = e.ConversationId;
        if (e.VisitorId is not null) data["visitorId"] = e.VisitorId;
        if (e.Status is not null) data["status"] = e.Status;
        if (e.AgentId is not null) data["agentId"] = e.AgentId;
        switch (e.Type)
        {
            case WebhookEventTypes.ConversationStarted when personal && (e.VisitorName is not null || e.VisitorEmail is not null):
                data["visitor"] = new JsonObject { ["name"] = e.VisitorName, ["email"] = e.VisitorEmail };
                break;
            case WebhookEventTypes.MessageCreated:
                var sender = new JsonObject { ["kind"] = Kind(e.Sender?.Kind), ["id"] = e.Sender?.Id };
                if (e.Sender?.DisplayName is { } name && (personal || e.Sender.Kind != ParticipantKind.Visitor)) sender["name"] = name;
                var message = new JsonObject { ["seq"] = e.Seq, ["sender"] = sender, ["sentAt"] = e.At };
                if (personal) message["text"] = e.Text;
                data["message"] = message;
                break;
            case WebhookEventTypes.ConversationClosed when e.Sender is not null:
                data["closedBy"] = new JsonObject { ["kind"] = Kind(e.Sender.Kind), ["id"] = e.Sender.Id };
                break;
            case WebhookEventTypes.ConversationRated:
                data["score"] = e.Score;
                if (personal && e.Comment is not null) data["comment"] = e.Comment;
                break;
            case WebhookEventTypes.VisitorErased:
                var erased = new JsonObject();
                foreach (var (kind, count) in e.Erased ?? new Dictionary<string, int>()) erased[kind] = count;
                data["erased"] = erased;
                break;
        }
        data["personalData"] = personal;
        var body = new JsonObject
        {
            ["id"] = deliveryId,
            ["eventId"] = eventId,
            ["type"] = e.Type,
            ["createdAt"] = e.At,
            ["tenantId"] = tenantId,
            ["data"] = data,
        };
        return JsonSerializer.SerializeToUtf8Bytes(body);
    }

    private static string Kind(ParticipantKind? kind) => kind switch
    {
        ParticipantKind.Visitor => "visitor",
        ParticipantKind.Agent => "agent",
        _ => "system",
    };
}
