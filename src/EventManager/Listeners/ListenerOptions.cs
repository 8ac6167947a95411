namespace EventManager;

/// <summary>How a listener receives events: its queue and its filters.</summary>
public sealed class ListenerOptions
{
    /// <summary>
    /// The default of <see cref="Capacity"/>: as many events as the manager's default ingress queue holds
    /// (<see cref="EventManagerOptions.DefaultIngressCapacity"/>), so a handler that keeps up on average never loses events of a
    /// burst the ingress accepted, even when it is descheduled for milliseconds while the dispatcher runs on. The queue's
    /// storage grows only as it fills: a listener that keeps up holds a few slots; one that falls a whole queue behind holds
    /// 512 KiB of references (kept until it is removed) and keeps up to that many events alive.
    /// </summary>
    public const int DefaultCapacity = EventManagerOptions.DefaultIngressCapacity;

    /// <summary>The largest accepted <see cref="Capacity"/>.</summary>
    public const int MaxCapacity = 1 << 24;

    /// <summary>How many events may wait for the handler. Default <see cref="DefaultCapacity"/>; from 1 to <see cref="MaxCapacity"/>.</summary>
    public int Capacity { get; set; } = DefaultCapacity;

    /// <summary>
    /// What happens when the queue is full. Default <see cref="EventManager.OverflowPolicy.DropOldest"/>, so a slow handler
    /// loses its own oldest events (counted) and never holds anyone else back. <see cref="EventManager.OverflowPolicy.Wait"/>
    /// loses nothing but makes the dispatcher, and so every listener, wait for this one.
    /// </summary>
    public OverflowPolicy OverflowPolicy { get; set; } = OverflowPolicy.DropOldest;

    /// <summary>
    /// The event types delivered: exact names such as <c>agent_message</c>, prefixes such as <c>voice.*</c>, or <c>*</c>.
    /// Default <see langword="null"/>: every type.
    /// </summary>
    public IReadOnlyCollection<string>? EventTypes { get; set; }

    /// <summary>
    /// A further test each event must pass, run on the dispatcher after <see cref="EventTypes"/>; keep it fast and free of
    /// state. A resuming <see cref="WebSocketEventManager.Subscribe(ListenerOptions?, string?)"/> also runs it over the replayed
    /// events on the caller's thread, outside the manager's locks, possibly while the dispatcher runs it over newer live events.
    /// One that throws counts as a listener error and the event is not delivered. Default <see langword="null"/>.
    /// </summary>
    public Func<WebSocketEvent, bool>? Filter { get; set; }

    /// <summary>A name for logs and metrics. Default <see langword="null"/>.</summary>
    public string? Name { get; set; }

    internal void Validate()
    {
        if (Capacity is < 1 or > MaxCapacity)
        {
            throw new ArgumentOutOfRangeException(nameof(Capacity), Capacity, $"{nameof(ListenerOptions)}.{nameof(Capacity)} must be between 1 and {MaxCapacity}.");
        }

        Guard.Defined(OverflowPolicy, nameof(OverflowPolicy));
    }
}
