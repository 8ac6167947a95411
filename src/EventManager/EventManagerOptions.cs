namespace EventManager;

/// <summary>Settings of a <see cref="WebSocketEventManager"/>.</summary>
public sealed class EventManagerOptions : IValidatable
{
    /// <summary>The default of <see cref="IngressCapacity"/>.</summary>
    public const int DefaultIngressCapacity = 65_536;

    /// <summary>The default of <see cref="ShutdownTimeout"/>: 10 seconds.</summary>
    public static readonly TimeSpan DefaultShutdownTimeout = TimeSpan.FromSeconds(10);

    /// <summary>How many published events may wait for the dispatcher. Default <see cref="DefaultIngressCapacity"/>; from 1 to <see cref="ListenerOptions.MaxCapacity"/>.</summary>
    public int IngressCapacity { get; set; } = DefaultIngressCapacity;

    /// <summary>
    /// What publishing does when the ingress queue is full. Default <see cref="OverflowPolicy.Wait"/>: nothing is lost,
    /// <c>PublishAsync</c> waits, <c>Publish</c> blocks and <c>TryPublish</c> returns <see langword="false"/>.
    /// </summary>
    public OverflowPolicy IngressOverflowPolicy { get; set; } = OverflowPolicy.Wait;

    /// <summary>
    /// How long <see cref="WebSocketEventManager.DisposeAsync"/> waits for accepted events to be delivered before it cancels
    /// the handlers and abandons what is left (counted as dropped). Default <see cref="DefaultShutdownTimeout"/>; positive or
    /// <see cref="Timeout.InfiniteTimeSpan"/>.
    /// </summary>
    public TimeSpan ShutdownTimeout { get; set; } = DefaultShutdownTimeout;

    /// <summary>
    /// The id stamped as <see cref="WebSocketEvent.OriginId"/> on events first published here. Default <see langword="null"/>:
    /// a new random id. At most 128 characters.
    /// </summary>
    public string? InstanceId { get; set; }

    /// <summary>The default of <see cref="HistoryCapacity"/>.</summary>
    public const int DefaultHistoryCapacity = 10_000;

    /// <summary>The default of <see cref="HistoryMaxAge"/>: 5 minutes.</summary>
    public static readonly TimeSpan DefaultHistoryMaxAge = TimeSpan.FromMinutes(5);

    /// <summary>
    /// How many of the latest delivered events are kept for resuming (<see cref="WebSocketEventManager.Subscribe(ListenerOptions?, string?)"/> with an event
    /// id, socket clients reconnecting). Default <see cref="DefaultHistoryCapacity"/>; 0 keeps none; at most <see cref="ListenerOptions.MaxCapacity"/>.
    /// </summary>
    public int HistoryCapacity { get; set; } = DefaultHistoryCapacity;

    /// <summary>How long a delivered event is kept for resuming. Default <see cref="DefaultHistoryMaxAge"/>; positive or <see cref="Timeout.InfiniteTimeSpan"/>.</summary>
    public TimeSpan HistoryMaxAge { get; set; } = DefaultHistoryMaxAge;

    /// <summary>The clock for timestamps and timeouts. Default <see langword="null"/>: the <see cref="System.TimeProvider"/> registered in DI, else <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider? TimeProvider { get; set; }

    void IValidatable.Validate() => Validate();

    internal void Validate()
    {
        if (IngressCapacity is < 1 or > ListenerOptions.MaxCapacity)
        {
            throw new ArgumentOutOfRangeException(nameof(IngressCapacity), IngressCapacity, $"{nameof(EventManagerOptions)}.{nameof(IngressCapacity)} must be between 1 and {ListenerOptions.MaxCapacity}.");
        }

        Guard.Defined(IngressOverflowPolicy, nameof(IngressOverflowPolicy));
        if (ShutdownTimeout <= TimeSpan.Zero && ShutdownTimeout != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(ShutdownTimeout), ShutdownTimeout, $"{nameof(EventManagerOptions)}.{nameof(ShutdownTimeout)} must be positive or infinite.");
        }

        if (HistoryCapacity is < 0 or > ListenerOptions.MaxCapacity)
        {
            throw new ArgumentOutOfRangeException(nameof(HistoryCapacity), HistoryCapacity, $"{nameof(EventManagerOptions)}.{nameof(HistoryCapacity)} must be between 0 and {ListenerOptions.MaxCapacity}.");
        }

        if (HistoryMaxAge <= TimeSpan.Zero && HistoryMaxAge != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(HistoryMaxAge), HistoryMaxAge, $"{nameof(EventManagerOptions)}.{nameof(HistoryMaxAge)} must be positive or infinite.");
        }

        if (InstanceId is not null && (string.IsNullOrWhiteSpace(InstanceId) || InstanceId.Length > 128))
        {
            throw new ArgumentException($"{nameof(EventManagerOptions)}.{nameof(InstanceId)} must be null or 1 to 128 non-blank characters.", nameof(InstanceId));
        }
    }
}
