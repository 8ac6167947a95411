using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace EventManager.Tests.Support;

internal sealed record LogEntry(LogLevel Level, EventId EventId, string Message, Exception? Exception);

internal sealed class CapturingLogger<T> : ILogger<T>
{
    public ConcurrentQueue<LogEntry> Entries { get; } = new();

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        => Entries.Enqueue(new LogEntry(logLevel, eventId, formatter(state, exception), exception));
}

internal static class LogEntries
{
    /// <summary>The messages logged at Error or above after the first <paramref name="skip"/> entries.</summary>
    public static IEnumerable<string> ErrorsAfter(this IEnumerable<LogEntry> entries, int skip) =>
        entries.Skip(skip).Where(e => e.Level >= LogLevel.Error).Select(e => e.Message);
}
