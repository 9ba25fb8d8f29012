using Microsoft.Extensions.Logging;
using Orleans;
using Orleans.Serialization;

namespace ChatCluster.Silo.Hosting.Database;

/// <summary>
/// The last line of every grain call on this silo (issue 12): a database fault leaves the grain as the one retryable
/// <c>unavailable</c> error, which the gateway sends as an error frame on the same socket or as 503 with Retry-After;
/// any other exception Orleans has no codec for (it would fail the response and the caller with it) leaves as
/// <c>internal_error</c>. Either is logged once, here, in one line.
/// </summary>
internal sealed partial class GrainBoundaryFaults(Serializer serializer, ILogger<GrainBoundaryFaults> logger) : IIncomingGrainCallFilter
{
    public async Task Invoke(IIncomingGrainCallContext context)
    {
        try
        {
            await context.Invoke();
        }
        catch (Exception ex) when (ex is not ChatRuleException && Typed(ex) is { } typed)
        {
            // Orleans wrapped a typed error (a storage provider's, see DatabaseFaultStorage): pass on the typed one.
            LogDatabaseFault(logger, context.InterfaceName, context.MethodName, ex.GetType().Name, typed.Message);
            throw typed;
        }
        catch (Exception ex) when (DatabaseFaults.IsDatabaseFault(ex))
        {
            LogDatabaseFault(logger, context.InterfaceName, context.MethodName, ex.GetType().Name, ex.Message);
            throw DatabaseFaults.Unavailable($"{context.MethodName} failed");
        }
        catch (Exception ex) when (!Serializable(ex))
        {
            LogUnserializable(logger, ex, context.InterfaceName, context.MethodName);
            throw new ChatRuleException(ErrorCodes.Internal, "Something went wrong on our side; it was logged.");
        }
    }

    private static ChatRuleException? Typed(Exception exception)
    {
        for (var e = exception.InnerException; e is not null; e = e.InnerException)
        {
            if (e is ChatRuleException typed) return typed;
        }
        return null;
    }

    private bool Serializable(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (!serializer.CanSerialize(e.GetType())) return false;
        }
        return true;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Interface}.{Method}: database fault ({Error}: {Reason}), answered 'unavailable'")]
    private static partial void LogDatabaseFault(ILogger logger, string @interface, string method, string error, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Interface}.{Method} threw an exception Orleans cannot serialize, answered 'internal_error'")]
    private static partial void LogUnserializable(ILogger logger, Exception exception, string @interface, string method);
}
