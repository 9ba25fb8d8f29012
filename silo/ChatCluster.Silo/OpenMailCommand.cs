using System.Security.Cryptography;
using ChatCluster.Silo.Hosting.Encryption;
using ChatCluster.Silo.Hosting.Mail;

namespace ChatCluster.Silo;

/// <summary>
/// <c>dotnet run --project silo/ChatCluster.Silo -- open-mail FILE...</c>: prints the MIME text of mail files kept in
/// the embedded default's outbox folder (sealed under the personal-data key ring, docs/privacy.md §10), opened with the
/// ring in <c>ChatCluster:Encryption</c>, which must be the one the gateway ran with. Exit codes: 0 every file opened;
/// 1 a file is not an outbox mail, cannot be read, or does not open under the ring.
/// </summary>
internal static class OpenMailCommand
{
    public const string Name = "open-mail";

    public static async Task<int> Run(IConfiguration configuration, IReadOnlyList<string> args)
    {
        if (args.Count < 2)
        {
            Console.Error.WriteLine($"usage: {Name} FILE... (files under ChatCluster:Mail:OutboxPath, {{tenant}}/{{subject}}/{{time}}-{{id}}{OutboxMailSender.Extension})");
            return 1;
        }
        try
        {
            var cipher = configuration.ReadPersonalDataCipher(required: true);
            foreach (var file in args.Skip(1))
            {
                Console.WriteLine($"--- {file}");
                Console.WriteLine(OutboxMailSender.Open(cipher, file, await File.ReadAllBytesAsync(file)));
            }
            return 0;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or CryptographicException
                                       or Microsoft.Extensions.Options.OptionsValidationException)
        {
            Console.Error.WriteLine($"open-mail failed: {ex.Message}");
            return 1;
        }
    }
}
