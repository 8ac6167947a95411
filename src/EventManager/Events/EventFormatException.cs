namespace EventManager;

/// <summary>The JSON given to <see cref="WebSocketEvent.Parse(string)"/> is not a valid event.</summary>
public sealed class EventFormatException : FormatException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="field">The JSON path of the offending field, such as <c>data.sentiment.score</c>; <c>$</c> for the document itself.</param>
    /// <param name="reason">What is wrong with it.</param>
    /// <param name="innerException">The exception that revealed the problem, if any.</param>
    public EventFormatException(string field, string reason, Exception? innerException = null)
        : base($"Invalid event JSON at '{field}': {reason}", innerException)
    {
        Field = field;
    }

    /// <summary>The JSON path of the offending field, such as <c>data.sentiment.score</c>; <c>$</c> for the document itself.</summary>
    public string Field { get; }
}
