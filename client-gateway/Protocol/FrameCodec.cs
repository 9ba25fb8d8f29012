using System.Buffers;
using System.Net.WebSockets;

namespace ChatCluster.Gateway.Protocol;

/// <summary>Reads client frames from and writes server frames to one encoding of the wire protocol.</summary>
public interface IFrameCodec
{
    /// <summary>The WebSocket subprotocol that selects this encoding.</summary>
    string Subprotocol { get; }

    WebSocketMessageType MessageType { get; }

    /// <summary>Decodes one complete WebSocket message; never throws on bad input.</summary>
    DecodeResult Decode(ReadOnlyMemory<byte> payload);

    /// <summary>
    /// The frame's <c>id</c> if a cheap look at its first bytes finds one, without decoding the rest: what a
    /// rate-limited frame's error echoes. Never throws.
    /// </summary>
    string? PeekId(ReadOnlyMemory<byte> payload);

    void Encode(ServerFrame frame, IBufferWriter<byte> output);
}

/// <summary>What both codecs share.</summary>
public static class FrameCodecs
{
    /// <summary>
    /// The bytes of <paramref name="frame"/> in <paramref name="codec"/>'s encoding: written into
    /// <paramref name="scratch"/>, or for a shared frame (<see cref="ServerFrame.Share"/>) encoded once and reused by
    /// every socket. The result is valid until <paramref name="scratch"/> is written again.
    /// </summary>
    public static ReadOnlyMemory<byte> Encode(IFrameCodec codec, ServerFrame frame, ArrayBufferWriter<byte> scratch)
    {
        if (!frame.IsShared)
        {
            scratch.ResetWrittenCount();
            codec.Encode(frame, scratch);
            return scratch.WrittenMemory;
        }
        ref var slot = ref frame.EncodingSlot(codec.MessageType == WebSocketMessageType.Binary);
        var encoded = Volatile.Read(ref slot);
        if (encoded is null)
        {
            // Two sockets may both get here first; they produce the same bytes, and either copy is fine to keep.
            scratch.ResetWrittenCount();
            codec.Encode(frame, scratch);
            encoded = scratch.WrittenSpan.ToArray();
            Volatile.Write(ref slot, encoded);
        }
        return encoded;
    }

    /// <summary>How far <see cref="IFrameCodec.PeekId"/> looks into a frame.</summary>
    public const int PeekBytes = 256;

    /// <summary>Ids are echoed; a long one is not (the client chose it, and it is meant to be short).</summary>
    public static string? ShortId(string? id) => id is { Length: <= 128 } ? id : null;
}

/// <summary>Either a frame, or the error frame that explains why there is none.</summary>
public readonly record struct DecodeResult(ClientFrame? Frame, ErrorFrame? Error)
{
    public static DecodeResult Ok(ClientFrame frame) => new(frame, null);

    public static DecodeResult Fail(string code, string message, string? id = null) =>
        new(null, new ErrorFrame { Code = code, Message = message, Id = id });
}

/// <summary>The frame types a client may send, by their "type" value.</summary>
public static class ClientFrameTypes
{
    public static readonly IReadOnlyDictionary<string, Type> ByName = new Dictionary<string, Type>(StringComparer.Ordinal)
    {
        [HelloFrame.Name] = typeof(HelloFrame),
        [StartFrame.Name] = typeof(StartFrame),
        [SendFrame.Name] = typeof(SendFrame),
        [TypingFrame.Name] = typeof(TypingFrame),
        [ReadFrame.Name] = typeof(ReadFrame),
        [ResumeFrame.Name] = typeof(ResumeFrame),
        [JoinFrame.Name] = typeof(JoinFrame),
        [CloseFrame.Name] = typeof(CloseFrame),
        [SetPresenceFrame.Name] = typeof(SetPresenceFrame),
        [PingFrame.Name] = typeof(PingFrame),
        [RateFrame.Name] = typeof(RateFrame),
        [TransferFrame.Name] = typeof(TransferFrame),
        [ConfirmTranscriptFrame.Name] = typeof(ConfirmTranscriptFrame),
    };

    public static string Known => string.Join(", ", ByName.Keys);
}

public static class Subprotocols
{
    public const string Json = "chatcluster.v1.json";
    public const string MessagePack = "chatcluster.v1.msgpack";
}
