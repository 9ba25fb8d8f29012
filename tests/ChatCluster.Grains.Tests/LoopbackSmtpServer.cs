using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ChatCluster.Grains.Tests;

/// <summary>
/// A minimal SMTP server on 127.0.0.1 for tests of the MailKit path: enough ESMTP for MailKit (greeting, EHLO/HELO,
/// AUTH PLAIN/LOGIN, MAIL FROM, RCPT TO, DATA with dot-unstuffing, RSET, NOOP, QUIT), no TLS. It keeps every
/// accepted message in memory. Each session ends after <see cref="SessionTimeout"/>, so no test can hang on it.
/// </summary>
public sealed class LoopbackSmtpServer : IAsyncDisposable
{
    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource stopping = new();
    private readonly List<SmtpDelivery> messages = [];
    private readonly Task accepting;

    public LoopbackSmtpServer()
    {
        listener.Start();
        Port = ((IPEndPoint)listener.LocalEndpoint).Port;
        accepting = Accept();
    }

    public int Port { get; }

    public TimeSpan SessionTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>When set, <c>AUTH</c> is offered (PLAIN and LOGIN) and a message is accepted only after logging in with these.</summary>
    public (string User, string Password)? Credentials { get; init; }

    /// <summary>The SASL mechanisms offered when <see cref="Credentials"/> is set; MailKit picks among them.</summary>
    public string Mechanisms { get; init; } = "PLAIN LOGIN";

    /// <summary>Recipients this server answers <c>550</c> for, as a mail server does for an unknown mailbox.</summary>
    public Func<string, bool> RefusesRecipient { get; init; } = _ => false;

    /// <summary>Recipients this server answers <c>451</c> for (try again later), as a greylisting or busy mail server does; asked once per <c>RCPT</c>.</summary>
    public Func<string, bool> DefersRecipient { get; init; } = _ => false;

    /// <summary>Accepts connections but never greets: a hung mail server.</summary>
    public bool Silent { get; init; }

    public IReadOnlyList<SmtpDelivery> Messages { get { lock (messages) return [.. messages]; } }

    /// <summary>A port nothing listens on: a mail server that is down.</summary>
    public static int ClosedPort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    /// <summary>Waits (real time, at most a few seconds) for the message sent to <paramref name="recipient"/>.</summary>
    public async Task<SmtpDelivery> WaitFor(string recipient, int seconds = 5)
    {
        var until = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            if (Messages.FirstOrDefault(m => m.To.Contains(recipient)) is { } delivery) return delivery;
            if (DateTime.UtcNow > until) throw new Xunit.Sdk.XunitException($"The SMTP server got no message for {recipient} within {seconds}s.");
            await Task.Delay(20);
        }
    }

    private async Task Accept()
    {
        while (!stopping.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync(stopping.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            _ = Serve(client);
        }
    }

    private async Task Serve(TcpClient client)
    {
        using var session = CancellationTokenSource.CreateLinkedTokenSource(stopping.Token);
        session.CancelAfter(SessionTimeout);
        using (client)
        {
            try
            {
                await Converse(new SmtpSession(client.GetStream(), session.Token));
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or SocketException or ObjectDisposedException)
            {
                // The client went away or the session ran out of time: the connection simply closes.
            }
        }
    }

    private async Task Converse(SmtpSession smtp)
    {
        if (Silent)
        {
            await Task.Delay(Timeout.Infinite, smtp.Cancel);
            return;
        }
        await smtp.Reply("220 loopback.test ESMTP ready");
        string? from = null;
        var to = new List<string>();
        string? user = null;
        while (await smtp.ReadLine() is { } line)
        {
            var (verb, argument) = Split(line);
            switch (verb)
            {
                case "EHLO":
                    await smtp.Reply(Credentials is null ? ["loopback.test"] : ["loopback.test", "AUTH " + Mechanisms]);
                    break;
                case "HELO":
                    await smtp.Reply("250 loopback.test");
                    break;
                case "AUTH" when Credentials is not null:
                    user = await Authenticate(smtp, argument);
                    break;
                case "MAIL" when Credentials is not null && user is null:
                    await smtp.Reply("530 5.7.0 Authentication required");
                    break;
                case "MAIL":
                    from = Address(argument);
                    to.Clear();
                    await smtp.Reply("250 2.1.0 Ok");
                    break;
                case "RCPT" when from is null:
                    await smtp.Reply("503 5.5.1 MAIL first");
                    break;
                case "RCPT":
                    var recipient = Address(argument);
                    if (RefusesRecipient(recipient)) await smtp.Reply($"550 5.1.1 <{recipient}>: Recipient address rejected");
                    else if (DefersRecipient(recipient)) await smtp.Reply($"451 4.7.1 <{recipient}>: Please try again later");
                    else
                    {
                        to.Add(recipient);
                        await smtp.Reply("250 2.1.5 Ok");
                    }
                    break;
                case "DATA" when to.Count == 0:
                    await smtp.Reply("554 5.5.1 No valid recipients");
                    break;
                case "DATA":
                    await smtp.Reply("354 End data with <CR><LF>.<CR><LF>");
                    var data = await ReadData(smtp);
                    lock (messages) messages.Add(new SmtpDelivery(from!, [.. to], data, user));
                    from = null;
                    to.Clear();
                    await smtp.Reply("250 2.0.0 Ok: queued");
                    break;
                case "RSET":
                    from = null;
                    to.Clear();
                    await smtp.Reply("250 2.0.0 Ok");
                    break;
                case "NOOP":
                    await smtp.Reply("250 2.0.0 Ok");
                    break;
                case "QUIT":
                    await smtp.Reply("221 2.0.0 Bye");
                    return;
                default:
                    await smtp.Reply("502 5.5.2 Command not recognized");
                    break;
            }
        }
    }

    /// <summary>AUTH PLAIN (with or without an initial response) and AUTH LOGIN; answers 235 or 535 and returns the user on success.</summary>
    private async Task<string?> Authenticate(SmtpSession smtp, string argument)
    {
        var parts = argument.Split(' ', 2);
        var mechanism = parts[0].ToUpperInvariant();
        if (!Mechanisms.Split(' ').Contains(mechanism))
        {
            await smtp.Reply("504 5.5.4 Unrecognized authentication type");
            return null;
        }
        string? user, password;
        if (mechanism == "PLAIN")
        {
            var response = parts.Length > 1 ? parts[1] : await smtp.Challenge("");
            // authzid NUL authcid NUL password
            var fields = Decode(response)?.Split('\0');
            (user, password) = fields is { Length: 3 } ? (fields[1], fields[2]) : (null, null);
        }
        else
        {
            user = Decode(parts.Length > 1 ? parts[1] : await smtp.Challenge("Username:"));
            password = Decode(await smtp.Challenge("Password:"));
        }
        if (Credentials is { } expected && user == expected.User && password == expected.Password)
        {
            await smtp.Reply("235 2.7.0 Authentication successful");
            return user;
        }
        await smtp.Reply("535 5.7.8 Authentication credentials invalid");
        return null;
    }

    /// <summary>Reads the message up to the lone dot, undoing the sender's dot-stuffing (RFC 5321 §4.5.2).</summary>
    private static async Task<string> ReadData(SmtpSession smtp)
    {
        var data = new StringBuilder();
        while (await smtp.ReadLine() is { } line && line != ".")
        {
            data.Append(line.StartsWith('.') ? line[1..] : line).Append("\r\n");
        }
        return data.ToString();
    }

    private static (string Verb, string Argument) Split(string line)
    {
        var space = line.IndexOf(' ');
        return space < 0 ? (line.ToUpperInvariant(), "") : (line[..space].ToUpperInvariant(), line[(space + 1)..].Trim());
    }

    /// <summary>The address inside <c>FROM:&lt;…&gt;</c> or <c>TO:&lt;…&gt;</c>, ignoring any ESMTP parameters after it.</summary>
    private static string Address(string argument)
    {
        int open = argument.IndexOf('<'), close = argument.IndexOf('>');
        return open >= 0 && close > open ? argument[(open + 1)..close] : argument;
    }

    private static string? Decode(string base64)
    {
        try
        {
            return Encoding.UTF8.GetString(Convert.FromBase64String(base64.Trim()));
        }
        catch (FormatException)
        {
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        listener.Stop();
        await accepting;
        stopping.Dispose();
    }

    /// <summary>One connection's line-based conversation; every read and write honours the session's time limit.</summary>
    private sealed class SmtpSession(NetworkStream stream, CancellationToken cancel)
    {
        private readonly StreamReader reader = new(stream, Encoding.UTF8);

        public CancellationToken Cancel => cancel;

        public ValueTask<string?> ReadLine() => reader.ReadLineAsync(cancel);

        public Task Reply(string line) => Write(line + "\r\n");

        /// <summary>A multi-line 250 reply (<c>250-first</c> … <c>250 last</c>).</summary>
        public Task Reply(IReadOnlyList<string> lines) =>
            Write(string.Concat(lines.Select((l, i) => $"250{(i == lines.Count - 1 ? ' ' : '-')}{l}\r\n")));

        public async Task<string> Challenge(string prompt)
        {
            await Reply("334 " + Convert.ToBase64String(Encoding.UTF8.GetBytes(prompt)));
            return await ReadLine() ?? "";
        }

        private async Task Write(string text) => await stream.WriteAsync(Encoding.UTF8.GetBytes(text), cancel);
    }
}

/// <summary>One message as the server received it: envelope, raw data (headers and body) and who logged in to send it.</summary>
public sealed record SmtpDelivery(string From, IReadOnlyList<string> To, string Data, string? AuthenticatedUser);
