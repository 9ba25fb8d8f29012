using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace ChatCluster.Silo.Hosting;

/// <summary>
/// Binds one options section and refuses to start on a value that does not parse or does not make sense, with
/// messages that name the setting: a silo that starts with a bad limit would misbehave much later and quietly.
/// </summary>
internal static class ValidatedSection
{
    public static T Read<T>(IConfiguration configuration, string section, Func<T, IEnumerable<string>> problems) where T : class, new()
    {
        T options;
        try
        {
            options = configuration.GetSection(section).Get<T>() ?? new T();
        }
        catch (InvalidOperationException ex)
        {
            // The outer message names the key ("… at 'ChatCluster:Postgres:MaxConnections' to type …"), the inner one why.
            throw new OptionsValidationException(section, typeof(T), [ex.InnerException is { } inner ? $"{ex.Message} {inner.Message}" : ex.Message]);
        }
        var found = problems(options).ToList();
        if (found.Count > 0) throw new OptionsValidationException(section, typeof(T), found);
        return options;
    }
}
