namespace EventManager.Sockets;

/// <summary>Settings of a <see cref="WebSocketBroadcaster"/>. Every property has a documented default; invalid values throw naming the property.</summary>
public sealed class WebSocketBroadcasterOptions
{
    /// <summary>
    /// The default of <see cref="SendQueueCapacity"/>: as many events as the manager's default ingress queue holds, so a burst
    /// of that size reaches a reading client whole however fast it reads, and a stalled client beside it costs it nothing.
    /// The queue's storage grows only as it fills: a client that keeps up holds a few slots; one that falls a whole queue
    /// behind holds 512 KiB of references until it catches up or leaves (the events themselves are shared by all clients).
    /// </summary>
    public const int DefaultSendQueueCapacity = EventManagerOptions.DefaultIngressCapacity;

    /// <summary>The default of <see cref="MaxFrameBytes"/>: 64 KiB.</summary>
    public const int DefaultMaxFrameBytes = 64 * 1024;

    /// <summary>The default of <see cref="MaxFramesPerSecond"/>.</summary>
    public const int DefaultMaxFramesPerSecond = 20;

    /// <summary>The default batch size of a connection that does not ask for one, as in the event-streaming design.</summary>
    public const int DefaultBatchSize = 50;

    /// <summary>The largest batch size a client may ask for.</summary>
    public const int MaxBatchSize = 1000;

    /// <summary>The default batch window of a connection that does not ask for one: 50 milliseconds.</summary>
    public static readonly TimeSpan DefaultBatchWindow = TimeSpan.FromMilliseconds(50);

    /// <summary>The default of <see cref="HeartbeatInterval"/>: 30 seconds.</summary>
    public static readonly TimeSpan DefaultHeartbeatInterval = TimeSpan.FromSeconds(30);

    /// <summary>The shortest <c>metrics_interval_ms</c> a client may ask for: one second.</summary>
    public static readonly TimeSpan MinMetricsInterval = TimeSpan.FromSeconds(1);

    /// <summary>How many WebSocket and SSE clients may be connected at once. Default 10,000; refused clients get close code 1013 or HTTP 503.</summary>
    public int MaxClients { get; set; } = 10_000;

    /// <summary>How many clients may be connected to one session at once. Default 1,000.</summary>
    public int MaxClientsPerSession { get; set; } = 1_000;

    /// <summary>How many events may wait to be sent to one client. Default <see cref="DefaultSendQueueCapacity"/>; from 1 to <see cref="ListenerOptions.MaxCapacity"/>.</summary>
    public int SendQueueCapacity { get; set; } = DefaultSendQueueCapacity;

    /// <summary>
    /// What happens when a client's send queue is full. Default <see cref="SlowClientPolicy.DropOldest"/>: its oldest events are
    /// dropped and it is told how many in a <c>gap</c> frame. <see cref="SlowClientPolicy.Disconnect"/> closes it with 4001.
    /// </summary>
    public SlowClientPolicy SlowClientPolicy { get; set; } = SlowClientPolicy.DropOldest;

    /// <summary>How often a WebSocket client gets a <c>heartbeat</c> frame and an SSE client a keep-alive comment. Default <see cref="DefaultHeartbeatInterval"/>; positive or <see cref="Timeout.InfiniteTimeSpan"/> for none.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = DefaultHeartbeatInterval;

    /// <summary>The longest frame a client may send; a longer one closes the connection with 1009. Default <see cref="DefaultMaxFrameBytes"/>; from 256.</summary>
    public int MaxFrameBytes { get; set; } = DefaultMaxFrameBytes;

    /// <summary>How many frames a client may send per second, on average over a second; more closes the connection with 1008. Default <see cref="DefaultMaxFramesPerSecond"/>.</summary>
    public int MaxFramesPerSecond { get; set; } = DefaultMaxFramesPerSecond;

    /// <summary>How long one send to a client may take before the connection is aborted as stuck. Default 30 seconds.</summary>
    public TimeSpan SendTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a closing connection waits for the client's close frame before it is aborted. Default 5 seconds.</summary>
    public TimeSpan CloseTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// A further check per event and connection, run on the manager's dispatcher with the connection's user (from the
    /// authentication of the request, or <see langword="null"/>): return <see langword="false"/> to withhold the event. Default none.
    /// </summary>
    public Func<WebSocketEvent, System.Security.Claims.ClaimsPrincipal?, bool>? AuthorizeEvent { get; set; }

    /// <summary>
    /// A history shared with other instances (the Redis mirror's, with <c>SharedHistory</c> on), asked when a resuming client
    /// names an event this instance does not keep, and whose epoch the clients are given. Default none: this manager's own
    /// history and epoch. With dependency injection, a registered <see cref="ISharedEventHistory"/> is used.
    /// </summary>
    public ISharedEventHistory? SharedHistory { get; set; }

    /// <summary>Checks the options, as the broadcaster's constructor does.</summary>
    /// <exception cref="ArgumentException">An option is invalid; the exception names it.</exception>
    internal void Validate()
    {
        InRange(MaxClients, 1, int.MaxValue, nameof(MaxClients));
        InRange(MaxClientsPerSession, 1, int.MaxValue, nameof(MaxClientsPerSession));
        InRange(SendQueueCapacity, 1, ListenerOptions.MaxCapacity, nameof(SendQueueCapacity));
        Guard.Defined(SlowClientPolicy, nameof(SlowClientPolicy));
        if (HeartbeatInterval <= TimeSpan.Zero && HeartbeatInterval != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(HeartbeatInterval), HeartbeatInterval, $"{nameof(WebSocketBroadcasterOptions)}.{nameof(HeartbeatInterval)} must be positive or infinite.");
        }

        InRange(MaxFrameBytes, 256, 16 * 1024 * 1024, nameof(MaxFrameBytes));
        InRange(MaxFramesPerSecond, 1, 100_000, nameof(MaxFramesPerSecond));
        if (SendTimeout <= TimeSpan.Zero || CloseTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(SendTimeout <= TimeSpan.Zero ? nameof(SendTimeout) : nameof(CloseTimeout), $"{nameof(WebSocketBroadcasterOptions)}.{(SendTimeout <= TimeSpan.Zero ? nameof(SendTimeout) : nameof(CloseTimeout))} must be positive.");
        }
    }

    private static void InRange(int value, int min, int max, string name)
    {
        if (value < min || value > max)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{nameof(WebSocketBroadcasterOptions)}.{name} must be between {min} and {max}.");
        }
    }
}
