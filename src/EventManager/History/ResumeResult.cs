namespace EventManager;

/// <summary>Whether a subscription could start right after a given event.</summary>
public enum ResumeStatus
{
    /// <summary>No position was asked for: the subscription starts with the next event.</summary>
    Live,

    /// <summary>The event was found; everything after it that the filters select is replayed first, then live events follow without a gap.</summary>
    Recovered,

    /// <summary>The event is older than the history keeps (by count or age): events were missed and cannot be replayed.</summary>
    HistoryExceeded,

    /// <summary>The event belongs to an earlier stream (another epoch, such as before a restart): its position means nothing here.</summary>
    EpochChanged,

    /// <summary>No event with this id was ever in this stream's history, as far as can be told.</summary>
    Unknown,
}

/// <summary>What happened when a subscription asked to start after an event.</summary>
/// <param name="Status">The outcome.</param>
/// <param name="LastEventId">The event id asked for, or <see langword="null"/>.</param>
/// <param name="Replayed">How many events were queued from the history before live ones.</param>
public sealed record ResumeResult(ResumeStatus Status, string? LastEventId, int Replayed)
{
    /// <summary>A subscription that starts live, without resuming.</summary>
    public static ResumeResult Live { get; } = new(ResumeStatus.Live, null, 0);

    /// <summary>Whether every event after <see cref="LastEventId"/> is (or will be) delivered.</summary>
    public bool Recovered => Status is ResumeStatus.Recovered or ResumeStatus.Live;
}
