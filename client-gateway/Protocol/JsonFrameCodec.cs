using System.Buffers;
using System.Net.WebSockets;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using MessagePack;

namespace ChatCluster.Gateway.Protocol;

/// <summary>JSON text frames (<c>chatcluster.v1.json</c>).</summary>
public sealed class JsonFrameCodec : IFrameCodec
{
    public static readonly JsonFrameCodec Instance = new();

    /// <summary>Field names come from the frames' MessagePack keys, so both encodings name fields alike.</summary>
    public static readonly JsonSerializerOptions Options = new()
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        TypeInfoResolver = new DefaultJsonTypeInfoResolver { Modifiers = { UseMessagePackKeys } },
        MaxDepth = 16,
    };

    public string Subprotocol => Subprotocols.Json;

    public WebSocketMessageType MessageType => WebSocketMessageType.Text;

    public DecodeResult Decode(ReadOnlyMemory<byte> payload)
    {
        string? type = null, id = null;
        try
        {
            var reader = new Utf8JsonReader(payload.Span, new JsonReaderOptions { MaxDepth = 16 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                return DecodeResult.Fail(ErrorCodes.MalformedFrame, "A frame is a JSON object with a \"type\" field.");
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isType = reader.ValueTextEquals("type"u8);
                var isId = reader.ValueTextEquals("id"u8);
                reader.Read();
                if (isType && reader.TokenType == JsonTokenType.String) type = reader.GetString();
                else if (isId && reader.TokenType == JsonTokenType.String) id = reader.GetString();
                else reader.Skip();
            }
        }
        catch (Exception ex) when (IsBadInput(ex))
        {
            return DecodeResult.Fail(ErrorCodes.MalformedFrame, $"The frame is not valid JSON: {ex.Message}");
        }

        if (type is null) return DecodeResult.Fail(ErrorCodes.MissingField, "The frame has no \"type\" field.", id);
        if (!ClientFrameTypes.ByName.TryGetValue(type, out var frameType))
            return DecodeResult.Fail(ErrorCodes.UnknownFrameType, $"Unknown frame type '{Trim(type)}'. Known types: {ClientFrameTypes.Known}.", id);
        try
        {
            var frame = (ClientFrame?)JsonSerializer.Deserialize(payload.Span, frameType, Options);
            return frame is null ? DecodeResult.Fail(ErrorCodes.MalformedFrame, "The frame is empty.", id) : DecodeResult.Ok(frame);
        }
        catch (Exception ex) when (IsBadInput(ex))
        {
            return DecodeResult.Fail(ErrorCodes.MalformedFrame, $"The '{type}' frame does not fit its schema: {ex.Message}", id);
        }
    }

    public string? PeekId(ReadOnlyMemory<byte> payload)
    {
        try
        {
            // Only the first bytes, and only top-level keys: a dropped frame must cost next to nothing.
            var head = payload.Span[..Math.Min(payload.Length, FrameCodecs.PeekBytes)];
            var reader = new Utf8JsonReader(head, isFinalBlock: head.Length == payload.Length, new JsonReaderState(new JsonReaderOptions { MaxDepth = 16 }));
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isId = reader.ValueTextEquals("id"u8);
                if (!reader.Read()) return null;
                if (isId) return reader.TokenType == JsonTokenType.String ? FrameCodecs.ShortId(reader.GetString()) : null;
                if (!reader.TrySkip()) return null;
            }
        }
        catch (Exception ex) when (IsBadInput(ex))
        {
        }
        return null;
    }

    /// <summary>
    /// What bad bytes can make System.Text.Json throw: a syntax error (<see cref="JsonException"/>), a lone
    /// surrogate escape read as a string (<see cref="InvalidOperationException"/>), a number out of range
    /// (<see cref="FormatException"/>, <see cref="OverflowException"/>), or an argument the converters refuse.
    /// </summary>
    private static bool IsBadInput(Exception ex) =>
        ex is JsonException or InvalidOperationException or FormatException or OverflowException or ArgumentException or NotSupportedException;

    public void Encode(ServerFrame frame, IBufferWriter<byte> output)
    {
        using var writer = new Utf8JsonWriter(output);
        JsonSerializer.Serialize(writer, frame, frame.GetType(), Options);
    }

    internal static string Trim(string value) => value.Length <= 40 ? value : value[..40] + "…";

    private static void UseMessagePackKeys(JsonTypeInfo info)
    {
        foreach (var property in info.Properties)
        {
            if (property.AttributeProvider is MemberInfo member && member.GetCustomAttribute<KeyAttribute>(inherit: true)?.StringKey is { } key)
            {
                property.Name = key;
                if (key == "type") property.Order = -1;
            }
        }
    }
}
