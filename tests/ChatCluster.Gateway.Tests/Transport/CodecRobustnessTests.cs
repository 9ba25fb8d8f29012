using System.Text;
using ChatCluster.Gateway.Protocol;

namespace ChatCluster.Gateway.Tests.Transport;

/// <summary>S2: a codec answers every byte sequence with a frame or an error frame; it never throws.</summary>
public sealed class CodecRobustnessTests
{
    [Theory]
    [InlineData("""{"type":"\ud800"}""")]
    [InlineData("""{"type":"send","id":"\udfff"}""")]
    [InlineData("""{"type":"send","id":"s1","text":"\ud83d"}""")]
    [InlineData("""{"type":"hello","role":"\udc00x"}""")]
    public void A_lone_surrogate_in_json_is_a_malformed_frame(string json)
    {
        var result = JsonFrameCodec.Instance.Decode(Encoding.UTF8.GetBytes(json));
        Assert.Null(result.Frame);
        Assert.Equal(ErrorCodes.MalformedFrame, result.Error!.Code);
    }

    public static TheoryData<byte[]> HugeLengthHeaders => new()
    {
        { [0x81, 0xdb, 0x80, 0x00, 0x00, 0x00] }, // a key: str 32 of 2 GiB
        { [0x81, 0xc6, 0xff, 0xff, 0xff, 0xff] }, // a key: bin 32 of 4 GiB
        { [0x81, 0xa4, (byte)'t', (byte)'y', (byte)'p', (byte)'e', 0xdb, 0x80, 0x00, 0x00, 0x01] }, // the type: str 32
        { [0x82, 0xa4, (byte)'t', (byte)'y', (byte)'p', (byte)'e', 0xa4, (byte)'p', (byte)'i', (byte)'n', (byte)'g', 0xa1, (byte)'t', 0xc6, 0x80, 0x00, 0x00, 0x00] }, // a value: bin 32
        { [0x82, 0xa4, (byte)'t', (byte)'y', (byte)'p', (byte)'e', 0xa4, (byte)'p', (byte)'i', (byte)'n', (byte)'g', 0xa2, (byte)'i', (byte)'d', 0xdb, 0xff, 0xff, 0xff, 0xff] }, // the id: str 32
    };

    [Theory]
    [MemberData(nameof(HugeLengthHeaders))]
    public void A_messagepack_length_header_of_2_GiB_or_more_is_a_malformed_frame(byte[] frame)
    {
        var result = MessagePackFrameCodec.Instance.Decode(frame);
        Assert.Null(result.Frame);
        Assert.Equal(ErrorCodes.MalformedFrame, result.Error!.Code);
        Assert.Null(MessagePackFrameCodec.Instance.PeekId(frame)); // the cheap look at a dropped frame never throws either
    }

    [Fact]
    public void Random_bytes_never_make_a_codec_throw()
    {
        var random = new Random(1234);
        var json = Encoding.UTF8.GetBytes("""{"type":"send","id":"x","conversationId":"c_abcdefgh","clientMessageId":"m","text":"hi \ud83d\ude00"}""");
        var pack = MessagePack.MessagePackSerializer.ConvertFromJson(Encoding.UTF8.GetString(json));
        for (var i = 0; i < 20_000; i++)
        {
            foreach (var (codec, valid) in new (IFrameCodec, byte[])[] { (JsonFrameCodec.Instance, json), (MessagePackFrameCodec.Instance, pack) })
            {
                var bytes = (byte[])valid.Clone();
                for (var flips = random.Next(1, 4); flips > 0; flips--) bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
                var cut = bytes.AsMemory(0, random.Next(bytes.Length + 1));
                var result = codec.Decode(cut);
                Assert.True(result.Frame is not null ^ result.Error is not null);
                codec.PeekId(cut);
            }
        }
    }

    [Fact]
    public void Peeking_finds_the_id_near_the_start_without_decoding_the_frame()
    {
        Assert.Equal("f1", JsonFrameCodec.Instance.PeekId(Encoding.UTF8.GetBytes("""{"type":"send","id":"f1","text":""" + "\"" + new string('x', 10_000) + "\"}")));
        Assert.Equal("f2", JsonFrameCodec.Instance.PeekId(Encoding.UTF8.GetBytes("""{"type":"send","id":"f2", this is not json""")));
        Assert.Null(JsonFrameCodec.Instance.PeekId(Encoding.UTF8.GetBytes("""{"text":""" + "\"" + new string('x', 1_000) + "\",\"id\":\"late\"}")));
        var pack = MessagePack.MessagePackSerializer.ConvertFromJson("""{"type":"send","id":"f3","text":"hi"}""");
        Assert.Equal("f3", MessagePackFrameCodec.Instance.PeekId(pack));
    }
}
