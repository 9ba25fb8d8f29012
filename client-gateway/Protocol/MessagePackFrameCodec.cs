using System.Buffers;
using System.Net.WebSockets;
using MessagePack;
using MessagePack.Resolvers;

namespace ChatCluster.Gateway.Protocol;

/// <summary>MessagePack binary frames (<c>chatcluster.v1.msgpack</c>): maps with the same keys as the JSON encoding.</summary>
public sealed class MessagePackFrameCodec : IFrameCodec
{
    public static readonly MessagePackFrameCodec Instance = new();

    public static readonly MessagePackSerializerOptions Options = MessagePackSerializerOptions.Standard
        .WithResolver(StandardResolver.Instance)
        .WithSecurity(MessagePackSecurity.UntrustedData.WithMaximumObjectGraphDepth(16));

    public string Subprotocol => Subprotocols.MessagePack;

    public WebSocketMessageType MessageType => WebSocketMessageType.Binary;

    public DecodeResult Decode(ReadOnlyMemory<byte> payload)
    {
        string? type = null, id = null;
        try
        {
            var reader = new MessagePackReader(payload);
            if (reader.End || reader.NextMessagePackType != MessagePackType.Map)
                return DecodeResult.Fail(ErrorCodes.MalformedFrame, "A frame is a MessagePack map with a \"type\" key.");
            var count = reader.ReadMapHeader();
            for (var i = 0; i < count; i++)
            {
                var name = reader.NextMessagePackType == MessagePackType.String ? reader.ReadString() : null;
                if (name is null) reader.Skip();
                if (name == "type" && reader.NextMessagePackType == MessagePackType.String) type = reader.ReadString();
                else if (name == "id" && reader.NextMessagePackType == MessagePackType.String) id = reader.ReadString();
                else reader.Skip();
            }
            if (!reader.End) return DecodeResult.Fail(ErrorCodes.MalformedFrame, "Trailing bytes after the frame's map.");
        }
        catch (Exception ex) when (IsBadInput(ex))
        {
            return DecodeResult.Fail(ErrorCodes.MalformedFrame, $"The frame is not valid MessagePack: {ex.Message}");
        }

        if (type is null) return DecodeResult.Fail(ErrorCodes.MissingField, "The frame has no \"type\" key.", id);
        if (!ClientFrameTypes.ByName.TryGetValue(type, out var frameType))
            return DecodeResult.Fail(ErrorCodes.UnknownFrameType, $"Unknown frame type '{JsonFrameCodec.Trim(type)}'. Known types: {ClientFrameTypes.Known}.", id);
        try
        {
            var frame = (ClientFrame?)MessagePackSerializer.Deserialize(frameType, payload, Options);
            return frame is null ? DecodeResult.Fail(ErrorCodes.MalformedFrame, "The frame is empty.", id) : DecodeResult.Ok(frame);
        }
        catch (Exception ex) when (IsBadInput(ex))
        {
            return DecodeResult.Fail(ErrorCodes.MalformedFrame, $"The '{type}' frame does not fit its schema: {ex.InnerException?.Message ?? ex.Message}", id);
        }
    }

    public string? PeekId(ReadOnlyMemory<byte> payload)
    {
        try
        {
            // Only the first bytes, and only top-level keys: a dropped frame must cost next to nothing.
            var reader = new MessagePackReader(payload[..Math.Min(payload.Length, FrameCodecs.PeekBytes)]);
            if (reader.End || reader.NextMessagePackType != MessagePackType.Map) return null;
            var count = reader.ReadMapHeader();
            for (var i = 0; i < count; i++)
            {
                var name = reader.NextMessagePackType == MessagePackType.String ? reader.ReadString() : null;
                if (name is null) reader.Skip();
                if (name == "id") return reader.NextMessagePackType == MessagePackType.String ? FrameCodecs.ShortId(reader.ReadString()) : null;
                reader.Skip();
            }
        }
        catch (Exception ex) when (IsBadInput(ex))
        {
        }
        return null;
    }

    /// <summary>
    /// What bad bytes can make the MessagePack reader throw: a bad or truncated token, an unknown extension, and a
    /// <c>str 32</c> / <c>bin 32</c> header declaring 2 GiB or more (<see cref="ArgumentOutOfRangeException"/>).
    /// </summary>
    private static bool IsBadInput(Exception ex) =>
        ex is MessagePackSerializationException or EndOfStreamException or InvalidOperationException or ArgumentException
            or OverflowException or FormatException or NotSupportedException or InsufficientExecutionStackException;

    public void Encode(ServerFrame frame, IBufferWriter<byte> output) =>
        MessagePackSerializer.Serialize(frame.GetType(), output, frame, Options);
}
