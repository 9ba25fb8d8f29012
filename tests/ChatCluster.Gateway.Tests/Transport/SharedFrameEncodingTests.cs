using System.Buffers;
using ChatCluster.Gateway.Protocol;

namespace ChatCluster.Gateway.Tests.Transport;

/// <summary>A fan-out frame is encoded once per encoding and every socket of that encoding gets the same, right bytes.</summary>
public sealed class SharedFrameEncodingTests
{
    private static MessageFrame Message() => new() { ConversationId = "c_1", Seq = 7, ClientMessageId = "m-7", Text = "hello ✓", SentAt = 1_700_000_000_000 };

    private static byte[] Plain(IFrameCodec codec)
    {
        var buffer = new ArrayBufferWriter<byte>();
        codec.Encode(Message(), buffer);
        return buffer.WrittenSpan.ToArray();
    }

    [Fact]
    public void A_shared_frame_is_encoded_once_per_codec_and_each_codec_gets_its_own_bytes()
    {
        var shared = Message().Share();
        var scratch = new ArrayBufferWriter<byte>();

        var json1 = FrameCodecs.Encode(JsonFrameCodec.Instance, shared, scratch).ToArray();
        var pack1 = FrameCodecs.Encode(MessagePackFrameCodec.Instance, shared, scratch);
        var json2 = FrameCodecs.Encode(JsonFrameCodec.Instance, shared, new ArrayBufferWriter<byte>());
        var pack2 = FrameCodecs.Encode(MessagePackFrameCodec.Instance, shared, new ArrayBufferWriter<byte>());

        Assert.Equal(Plain(JsonFrameCodec.Instance), json1);
        Assert.Equal(Plain(MessagePackFrameCodec.Instance), pack1.ToArray());
        Assert.True(json2.Span.SequenceEqual(json1), "the second JSON socket gets the same bytes");
        Assert.True(pack1.Equals(pack2), "the second MessagePack socket gets the very bytes encoded first, not a new encoding");
        Assert.Contains("\"type\":\"message\"", System.Text.Encoding.UTF8.GetString(json1));
    }

    [Fact]
    public void An_unshared_frame_is_encoded_into_the_sockets_own_buffer_each_time()
    {
        var frame = Message();
        var scratch = new ArrayBufferWriter<byte>();
        var first = FrameCodecs.Encode(JsonFrameCodec.Instance, frame, scratch).ToArray();
        frame.Seq = 8; // an unshared frame may still change between sends
        var second = FrameCodecs.Encode(JsonFrameCodec.Instance, frame, scratch).ToArray();
        Assert.NotEqual(first, second);
    }
}
