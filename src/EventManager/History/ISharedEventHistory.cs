namespace EventManager;

/// <summary>
/// A history several instances share, such as the Redis mirror's stream, so a socket client can resume on an instance that
/// never saw the events it missed. The socket broadcaster asks it only when the local history has no event with the id.
/// </summary>
public interface ISharedEventHistory
{
    /// <summary>The epoch of the shared stream; it changes when the stream is deleted or reset. <see langword="null"/> while unknown.</summary>
    string? Epoch { get; }

    /// <summary>The events after the one with <paramref name="eventId"/>, oldest first, or <see langword="null"/> when the shared history does not have it.</summary>
    /// <param name="eventId">The id of the last event the client has.</param>
    /// <param name="cancellationToken">Stops the lookup.</param>
    /// <returns>The events, or <see langword="null"/>.</returns>
    ValueTask<IReadOnlyList<WebSocketEvent>?> GetEventsAfterAsync(string eventId, CancellationToken cancellationToken);
}
