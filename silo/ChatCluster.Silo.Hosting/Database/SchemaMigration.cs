using System.Reflection;
using System.Security.Cryptography;
using System.Text;

namespace ChatCluster.Silo.Hosting.Database;

/// <summary>One numbered SQL file from <c>Database/Migrations</c>, embedded in this assembly.</summary>
/// <param name="Version">The number the file name starts with (<c>0003_persistence.sql</c> is 3).</param>
/// <param name="Name">The file name, as recorded in <c>chatcluster_schema_version</c>.</param>
/// <param name="Sql">The script, with line endings normalised to LF.</param>
/// <param name="Checksum">Lower-case hex SHA-256 of <paramref name="Sql"/> in UTF-8.</param>
public sealed record SchemaMigration(int Version, string Name, string Sql, string Checksum)
{
    private const string ResourcePrefix = "ChatCluster.Silo.Hosting.Database.Migrations.";

    /// <summary>Every migration shipped with this build, in version order.</summary>
    public static IReadOnlyList<SchemaMigration> All { get; } = LoadEmbedded();

    /// <summary>The schema version this build expects the database to be at.</summary>
    public static int LatestVersion => All[^1].Version;

    /// <summary>
    /// Hashes the script text rather than the file bytes, with CRLF turned into LF, so a checkout
    /// with different line endings does not look like an edited migration.
    /// </summary>
    public static string ComputeChecksum(string sql) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Normalise(sql))));

    private static string Normalise(string sql) => sql.Replace("\r\n", "\n", StringComparison.Ordinal);

    private static List<SchemaMigration> LoadEmbedded()
    {
        var assembly = typeof(SchemaMigration).Assembly;
        var migrations = assembly.GetManifestResourceNames()
            .Where(resource => resource.StartsWith(ResourcePrefix, StringComparison.Ordinal)
                               && resource.EndsWith(".sql", StringComparison.Ordinal))
            .Select(resource => Load(assembly, resource))
            .OrderBy(migration => migration.Version)
            .ToList();

        if (migrations.Count == 0)
        {
            throw new InvalidOperationException(
                $"No schema migrations are embedded in {assembly.GetName().Name}; the build is broken.");
        }

        var duplicate = migrations.GroupBy(m => m.Version).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new InvalidOperationException(
                $"Two schema migrations share version {duplicate.Key}: {string.Join(", ", duplicate.Select(m => m.Name))}.");
        }

        return migrations;
    }

    private static SchemaMigration Load(Assembly assembly, string resource)
    {
        var name = resource[ResourcePrefix.Length..];
        var digits = name.TakeWhile(char.IsAsciiDigit).Count();
        if (digits == 0 || digits >= name.Length || name[digits] != '_')
        {
            throw new InvalidOperationException(
                $"Schema migration '{name}' must be named NNNN_description.sql.");
        }

        using var stream = assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"Embedded resource '{resource}' could not be opened.");
        using var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        var sql = Normalise(reader.ReadToEnd());

        return new SchemaMigration(int.Parse(name.AsSpan(0, digits)), name, sql, ComputeChecksum(sql));
    }
}
