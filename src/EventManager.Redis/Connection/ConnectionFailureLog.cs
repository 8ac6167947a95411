using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace EventManager.Redis;

/// <summary>
/// The logger factory the mirror gives StackExchange.Redis, to hear of every connection failure, the first connect's among
/// them: those happen before the multiplexer exists to raise <c>ConnectionFailed</c>, and a refused connection or a wrong
/// password may not even be reported by the time the connect returns. Each failure goes to <c>onFailure</c> as the endpoint,
/// StackExchange.Redis's failure type and the underlying reason. Everything else StackExchange.Redis logs is ignored.
/// </summary>
internal sealed partial class ConnectionFailureLog(Action<string> onFailure) : ILoggerFactory, ILogger
{
    /// <inheritdoc />
    public ILogger CreateLogger(string categoryName) => this;

    /// <inheritdoc />
    public void AddProvider(ILoggerProvider provider)
    {
    }

    /// <inheritdoc />
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    /// <summary>Only errors: StackExchange.Redis logs a connection failure as one.</summary>
    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Error;

    /// <summary>Passes on a connection failure; everything else is ignored.</summary>
    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (logLevel >= LogLevel.Error && exception is RedisConnectionException failure)
        {
            onFailure(Describe(failure));
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
    }

    /// <summary>"127.0.0.1:6379 UnableToConnect: Connection refused", from the exception rather than its long status message.</summary>
    private static string Describe(RedisConnectionException failure)
    {
        var endpoint = EndpointInMessage().Match(failure.Message) is { Success: true } match ? match.Groups["endpoint"].Value + " " : "";
        var reason = failure.InnerException;
        while (reason?.InnerException is not null)
        {
            reason = reason.InnerException;
        }

        return reason is null ? $"{endpoint}{failure.FailureType}" : $"{endpoint}{failure.FailureType}: {reason.Message}";
    }

    /// <summary>The endpoint in StackExchange.Redis's message, "... on 127.0.0.1:6379/Interactive, ...".</summary>
    [GeneratedRegex(@" on (?<endpoint>[^\s/,]+)/")]
    private static partial Regex EndpointInMessage();
}
