using System.Text;
using MessagePack;

namespace ChatCluster.Gateway.Tests.Transport;

/// <summary>One generated client message on the wire: its bytes, and whether the gateway must answer it with one frame.</summary>
public readonly record struct FuzzFrame(byte[] Wire, bool Answered, string Kind);

/// <summary>
/// Generates malformed frames for one encoding (S2, issue 16.4): random bytes, truncation, deep nesting, wrong
/// types, lone surrogates, oversized length headers, wrong message types, fragmented messages with control frames
/// between the fragments. None of them is a decodable hello (five of those close a socket with 4003 by design), so
/// every message below is answered by exactly one frame before hello. <see cref="Closing"/> makes the frames that
/// end a connection by the WebSocket rules (bad UTF-8, protocol errors, a runaway size); each must still end with a close frame.
/// </summary>
public sealed class FrameFuzzer(bool json, int seed)
{
    private static readonly string[] Types = ["ping", "start", "send", "typing", "read", "resume", "join", "close", "presence", "rate", "transfer", "teleport", "", "PING", "pinG ", "hello "];
    private static readonly string[] Fields = ["id", "conversationId", "clientMessageId", "text", "seq", "afterSeq", "isTyping", "status", "score", "t", "role", "siteKey", "token", "name", "email"];
    private readonly Random random = new(seed);

    public bool Json => json;

    public FuzzFrame Next()
    {
        var (payload, kind) = json ? NextJson() : NextMessagePack();
        var opcode = json ? 0x1 : 0x2;
        if (random.Next(25) == 0)
        {
            opcode = json ? 0x2 : 0x1; // the other encoding's message type
            if (opcode == 0x1) payload = Encoding.UTF8.GetBytes("{\"type\":\"ping\"}");
            kind = "wrong-message-type";
        }
        return random.Next(8) == 0 ? Fragmented(opcode, payload, kind) : new FuzzFrame(RawWebSocket.Frame(opcode, payload), true, kind);
    }

    /// <summary>A ping frame the gateway answers with a pong carrying <paramref name="id"/>: the end marker of a batch.</summary>
    public FuzzFrame Marker(string id)
    {
        var text = $$"""{"type":"ping","id":"{{id}}"}""";
        return new FuzzFrame(json ? RawWebSocket.TextFrame(text) : RawWebSocket.Frame(0x2, MessagePackSerializer.ConvertFromJson(text)), true, "marker");
    }

    /// <summary>A frame that breaks the WebSocket rules, so the socket closes (with a close frame).</summary>
    public FuzzFrame Closing()
    {
        switch (random.Next(7))
        {
            case 0: return new FuzzFrame(RawWebSocket.Frame(0x1, [(byte)'{', 0xff, 0xfe, (byte)'}']), false, "invalid-utf8");
            case 1: return new FuzzFrame(RawWebSocket.Frame(0x1, "{\"type\":\"ping\"}"u8, mask: false), false, "unmasked");
            case 2: return new FuzzFrame(RawWebSocket.Frame(0x1, "{\"type\":\"ping\"}"u8, reservedBits: 0b100), false, "reserved-bits");
            case 3: return new FuzzFrame(RawWebSocket.Frame(0x3, "{}"u8), false, "reserved-opcode");
            case 4: return new FuzzFrame(RawWebSocket.Frame(0x9, new byte[126]), false, "control-too-long");
            case 5: return new FuzzFrame(RawWebSocket.Frame(0x0, "{}"u8), false, "orphan-continuation");
            default: return new FuzzFrame(RawWebSocket.Frame(json ? 0x1 : 0x2, Filled(1024 * 1024 + 10, (byte)' ')), false, "runaway-size");
        }
    }

    private FuzzFrame Fragmented(int opcode, byte[] payload, string kind)
    {
        var parts = random.Next(2, 5);
        var wire = new List<byte>();
        var at = 0;
        for (var i = 0; i < parts; i++)
        {
            var last = i == parts - 1;
            var size = last ? payload.Length - at : random.Next(0, payload.Length - at + 1);
            wire.AddRange(RawWebSocket.Frame(i == 0 ? opcode : 0x0, payload.AsSpan(at, size), fin: last));
            at += size;
            if (!last && random.Next(3) == 0) wire.AddRange(RawWebSocket.Frame(0x9, "between"u8)); // a ping between fragments
        }
        return new FuzzFrame([.. wire], true, kind + "/fragmented");
    }

    private (byte[], string) NextJson()
    {
        switch (random.Next(12))
        {
            case 0: return (Encoding.UTF8.GetBytes(RandomText(random.Next(0, 80))), "random-text");
            case 1:
            {
                var valid = ValidJson();
                return (Encoding.UTF8.GetBytes(valid[..random.Next(0, valid.Length)]), "truncated");
            }
            case 2:
            {
                var depth = random.Next(15, 3000);
                return (Encoding.UTF8.GetBytes("{\"type\":\"ping\",\"t\":" + new string('[', depth) + new string(']', depth) + "}"), "deep-nesting");
            }
            case 3: return (Encoding.UTF8.GetBytes("{\"type\":\"" + Pick(Types) + "\",\"" + Pick(Fields) + "\":" + WrongValue() + "}"), "wrong-type");
            case 4: return (Encoding.UTF8.GetBytes("{\"type\":\"hello\",\"role\":" + Pick(["5", "[1]", "{\"k\":1}", "true", "-1.5"]) + ",\"siteKey\":" + WrongValue() + ",\"token\":{\"a\":1}}"), "hello-wrong-types");
            case 5:
            {
                var surrogate = $"\\u{random.Next(0xD800, 0xE000):x4}";
                return (Encoding.UTF8.GetBytes(random.Next(3) switch
                {
                    0 => $$"""{"type":"{{surrogate}}"}""",
                    1 => $$"""{"type":"send","id":"{{surrogate}}"}""",
                    _ => $$"""{"type":"{{Pick(Types)}}","{{Pick(Fields)}}":"x{{surrogate}}y"}""",
                }), "lone-surrogate");
            }
            case 6: return (Encoding.UTF8.GetBytes(Pick(["{}", "[]", "null", "\"ping\"", "", " ", "\ufeff{\"type\":\"ping\"}", "{\"type\":null}", "{\"type\":\"ping\"}{}", "{\"type\":\"ping\",}", "1e999", "{\"type\":\"ping\",\"t\":1e400}", "{\"type\":\"ping\",\"t\":-99999999999999999999}"])), "odd-document");
            case 7:
            {
                var bytes = Encoding.UTF8.GetBytes(ValidJson());
                for (var flips = random.Next(1, 4); flips > 0; flips--) bytes[random.Next(bytes.Length)] = (byte)random.Next(0x20, 0x7f);
                return (bytes, "mutated");
            }
            case 8: return (Encoding.UTF8.GetBytes($$"""{"type":"{{Pick(Types)}}","id":"{{new string('i', random.Next(0, 300))}}"}"""), "long-id");
            case 9 when random.Next(40) == 0: return (Filled(70 * 1024, (byte)' '), "too-large");
            default: return (Encoding.UTF8.GetBytes(ValidJson()), "valid-before-hello");
        }
    }

    private (byte[], string) NextMessagePack()
    {
        switch (random.Next(12))
        {
            case 0:
            {
                var bytes = new byte[random.Next(0, 80)];
                random.NextBytes(bytes);
                return (bytes, "random-bytes");
            }
            case 1:
            {
                var valid = MessagePackSerializer.ConvertFromJson(ValidJson());
                return (valid[..random.Next(0, valid.Length)], "truncated");
            }
            case 2:
            {
                var depth = random.Next(15, 3000);
                var prefix = MessagePackSerializer.ConvertFromJson("""{"t":0,"type":"ping"}""");
                // the map's first value (0) replaced by [[[...]]]: fixarray-of-one headers, then an empty array
                var nested = new List<byte> { prefix[0], prefix[1], prefix[2] };
                for (var i = 0; i < depth; i++) nested.Add(0x91);
                nested.Add(0x90);
                nested.AddRange(prefix.AsSpan(4).ToArray());
                return ([.. nested], "deep-nesting");
            }
            case 3: return (MessagePackSerializer.ConvertFromJson("{\"type\":\"" + Pick(Types) + "\",\"" + Pick(Fields) + "\":" + WrongValue(noNumbersTooBig: true) + "}"), "wrong-type");
            case 4: return (MessagePackSerializer.ConvertFromJson("""{"type":"hello","role":5,"siteKey":[1],"token":{"a":1}}"""), "hello-wrong-types");
            case 5:
            {
                // str 32 / bin 32 / array 32 / map 32 headers declaring 2 GiB or more, as a key or as a value
                byte[] huge = [Pick<byte>([0xdb, 0xc6, 0xdd, 0xdf]), (byte)random.Next(0x80, 0x100), 0, 0, (byte)random.Next(256)];
                byte[] head = random.Next(2) == 0 ? [0x81] : [0x82, 0xa4, (byte)'t', (byte)'y', (byte)'p', (byte)'e', 0xa4, (byte)'p', (byte)'i', (byte)'n', (byte)'g', 0xa2, (byte)'i', (byte)'d'];
                return ([.. head, .. huge], "huge-length-header");
            }
            case 6: return (Pick<byte[]>([[0xc1], [0x80], [0x90], [0xc0], [0x81, 0xc0, 0xc0], [0xd4, 0x01, 0x02], [0x81, 0xa4, (byte)'t', (byte)'y', (byte)'p', (byte)'e', 0xd6, 0xff, 0, 0, 0, 1], [0x81, 0xa4, (byte)'t', (byte)'y', (byte)'p', (byte)'e', 0xa4, (byte)'p', (byte)'i', (byte)'n', (byte)'g', 0xc0]]), "odd-document");
            case 7:
            {
                var bytes = MessagePackSerializer.ConvertFromJson(ValidJson());
                for (var flips = random.Next(1, 4); flips > 0; flips--) bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
                return (bytes, "mutated");
            }
            case 8:
            {
                // a string with invalid UTF-8 inside a valid map
                var text = MessagePackSerializer.ConvertFromJson($$"""{"type":"{{Pick(Types)}}","text":"abcd"}""");
                text[^2] = 0xff;
                return (text, "invalid-utf8-string");
            }
            case 9 when random.Next(40) == 0: return (Filled(70 * 1024, 0xc0), "too-large");
            default: return (MessagePackSerializer.ConvertFromJson(ValidJson()), "valid-before-hello");
        }
    }

    private string ValidJson() => random.Next(6) switch
    {
        0 => $$"""{"type":"ping","id":"p{{random.Next(1000)}}","t":{{random.Next()}}}""",
        1 => """{"type":"send","id":"s1","conversationId":"c_abcdefghij","clientMessageId":"m1","text":"hello there, \u00e9t\u00e9 \ud83d\ude00"}""",
        2 => """{"type":"resume","id":"r1","conversationId":"c_abcdefghij","afterSeq":3}""",
        3 => """{"type":"typing","conversationId":"c_abcdefghij","isTyping":true,"extra":{"nested":[1,2,{"x":null}]}}""",
        4 => """{"type":"start","id":"st","name":"Jo","email":"jo@example.com"}""",
        _ => """{"type":"rate","id":"rt","conversationId":"c_abcdefghij","score":4,"comment":"fine"}""",
    };

    private string WrongValue(bool noNumbersTooBig = false) => random.Next(noNumbersTooBig ? 6 : 7) switch
    {
        0 => random.Next().ToString(),
        1 => "[1,\"a\",null]",
        2 => "{\"k\":{\"k\":[]}}",
        3 => "true",
        4 => "-1.5e3",
        5 => "null",
        _ => "123456789012345678901234567890",
    };

    private string RandomText(int length)
    {
        var chars = new char[length];
        for (var i = 0; i < length; i++) chars[i] = random.Next(10) == 0 ? (char)random.Next(0xa0, 0x3000) : (char)random.Next(0x20, 0x7f);
        return new string(chars);
    }

    private static byte[] Filled(int length, byte value)
    {
        var bytes = new byte[length];
        Array.Fill(bytes, value);
        return bytes;
    }

    private T Pick<T>(T[] items) => items[random.Next(items.Length)];
}
