using System.Buffers;
using System.Text;
using System.Text.Json;
using MessagePack;

namespace ChatCluster.LoadTests.Gateway;

/// <summary>The two encodings of ChatCluster's wire protocol (docs/protocol.md §2, §4).</summary>
public enum WireEncoding { Json, MessagePack }

/// <summary>
/// The few fields of a server frame the scenarios look at, read without building an object tree:
/// the generator shares 2 cores with the gateway, so its own decoding must stay cheap.
/// </summary>
public sealed class WireFrame
{
    public string Type { get; set; } = "";
    public string? Id { get; set; }
    public string? ConversationId { get; set; }
    public string? ClientMessageId { get; set; }
    public string? Text { get; set; }
    public string? Code { get; set; }
    public string? Scope { get; set; }
    public string? SubjectId { get; set; }
    public string? Status { get; set; }
    public string? VisitorId { get; set; }
    public string? AgentId { get; set; }
    public long Seq { get; set; }

    /// <summary><see cref="System.Diagnostics.Stopwatch"/> timestamp when the frame's last byte was read.</summary>
    public long ReceivedAt { get; set; }
}

/// <summary>Writes client frames (flat string/number fields) and reads server frames, in either encoding.</summary>
public static class WireCodec
{
    public static string Subprotocol(WireEncoding encoding) =>
        encoding == WireEncoding.Json ? "chatcluster.v1.json" : "chatcluster.v1.msgpack";

    public static WireEncoding Parse(string value) => value.ToLowerInvariant() switch
    {
        "json" => WireEncoding.Json,
        "msgpack" or "messagepack" => WireEncoding.MessagePack,
        _ => throw new ArgumentException($"--encoding must be json or msgpack, not '{value}'."),
    };

    /// <summary>Encodes one client frame; values are strings, longs or null (left out).</summary>
    public static void Write(WireEncoding encoding, IBufferWriter<byte> output, params (string Key, object? Value)[] fields)
    {
        var present = 0;
        foreach (var field in fields) if (field.Value is not null) present++;
        if (encoding == WireEncoding.Json)
        {
            using var json = new Utf8JsonWriter(output);
            json.WriteStartObject();
            foreach (var (key, value) in fields)
            {
                switch (value)
                {
                    case null: break;
                    case string s: json.WriteString(key, s); break;
                    case long l: json.WriteNumber(key, l); break;
                    case int i: json.WriteNumber(key, i); break;
                    case bool b: json.WriteBoolean(key, b); break;
                    default: throw new ArgumentException($"Unsupported field type {value.GetType().Name}.");
                }
            }
            json.WriteEndObject();
            return;
        }
        var writer = new MessagePackWriter(output);
        writer.WriteMapHeader(present);
        foreach (var (key, value) in fields)
        {
            if (value is null) continue;
            writer.Write(key);
            switch (value)
            {
                case string s: writer.Write(s); break;
                case long l: writer.Write(l); break;
                case int i: writer.Write(i); break;
                case bool b: writer.Write(b); break;
                default: throw new ArgumentException($"Unsupported field type {value.GetType().Name}.");
            }
        }
        writer.Flush();
    }

    /// <summary>Reads a server frame's interesting fields; nested objects are skipped except <c>conversation</c>'s id.</summary>
    public static WireFrame Read(WireEncoding encoding, ReadOnlySequence<byte> payload) =>
        encoding == WireEncoding.Json ? ReadJson(payload) : ReadMessagePack(payload);

    private static WireFrame ReadJson(ReadOnlySequence<byte> payload)
    {
        var frame = new WireFrame();
        var reader = new Utf8JsonReader(payload);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) throw new FormatException("A frame is a JSON object.");
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.GetString()!;
            reader.Read();
            if (reader.TokenType == JsonTokenType.StartObject && name == "conversation")
            {
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var inner = reader.GetString();
                    reader.Read();
                    if (inner == "conversationId" && reader.TokenType == JsonTokenType.String) frame.ConversationId ??= reader.GetString();
                    else reader.Skip();
                }
                continue;
            }
            if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
            {
                reader.Skip();
                continue;
            }
            if (reader.TokenType == JsonTokenType.String) Assign(frame, name, reader.GetString());
            else if (reader.TokenType == JsonTokenType.Number && name == "seq") frame.Seq = reader.GetInt64();
        }
        return frame;
    }

    private static WireFrame ReadMessagePack(ReadOnlySequence<byte> payload)
    {
        var frame = new WireFrame();
        var reader = new MessagePackReader(payload);
        var count = reader.ReadMapHeader();
        for (var i = 0; i < count; i++)
        {
            var name = reader.ReadString() ?? "";
            if (name == "conversation" && reader.NextMessagePackType == MessagePackType.Map)
            {
                var inner = reader.ReadMapHeader();
                for (var j = 0; j < inner; j++)
                {
                    var key = reader.ReadString();
                    if (key == "conversationId" && reader.NextMessagePackType == MessagePackType.String) frame.ConversationId ??= reader.ReadString();
                    else reader.Skip();
                }
                continue;
            }
            switch (reader.NextMessagePackType)
            {
                case MessagePackType.String: Assign(frame, name, reader.ReadString()); break;
                case MessagePackType.Integer when name == "seq": frame.Seq = reader.ReadInt64(); break;
                default: reader.Skip(); break;
            }
        }
        return frame;
    }

    private static void Assign(WireFrame frame, string name, string? value)
    {
        switch (name)
        {
            case "type": frame.Type = value ?? ""; break;
            case "id": frame.Id = value; break;
            case "conversationId": frame.ConversationId = value; break;
            case "clientMessageId": frame.ClientMessageId = value; break;
            case "text": frame.Text = value; break;
            case "code": frame.Code = value; break;
            case "scope": frame.Scope = value; break;
            case "subjectId": frame.SubjectId = value; break;
            case "status": frame.Status = value; break;
            case "visitorId": frame.VisitorId = value; break;
            case "agentId": frame.AgentId = value; break;
        }
    }

    /// <summary>For error messages: the frame as text when it is JSON.</summary>
    public static string Describe(WireEncoding encoding, ReadOnlySpan<byte> payload) =>
        encoding == WireEncoding.Json ? Encoding.UTF8.GetString(payload[..Math.Min(payload.Length, 300)]) : $"{payload.Length} bytes of MessagePack";
}
