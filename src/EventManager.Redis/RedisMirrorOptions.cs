using StackExchange.Redis;

namespace EventManager.Redis;

/// <summary>Settings of a <see cref="RedisEventMirror"/>. Every property has a documented default; invalid values throw naming the property.</summary>
public sealed class RedisMirrorOptions : IValidatable
{
    /// <summary>The default of <see cref="Channel"/>, as in the original Python design.</summary>
    public const string DefaultChannel = "websocket_events";

    /// <summary>The default of <see cref="OutboundBufferSize"/>.</summary>
    public const int DefaultOutboundBufferSize = 100_000;

    /// <summary>The default of <see cref="InboundBufferSize"/>.</summary>
    public const int DefaultInboundBufferSize = 100_000;

    /// <summary>The default of <see cref="MaxBatchSize"/>.</summary>
    public const int DefaultMaxBatchSize = 50;

    /// <summary>The default of <see cref="MaxMessageBytes"/>: 1 MiB.</summary>
    public const int DefaultMaxMessageBytes = 1024 * 1024;

    /// <summary>The <see cref="WebSocketEvent.OriginId"/> given to inbound events whose publisher wrote none, such as <c>redis-cli</c>.</summary>
    public const string ExternalOriginId = "external";

    /// <summary>The default of <see cref="SharedHistoryLength"/>.</summary>
    public const int DefaultSharedHistoryLength = 10_000;

    /// <summary>The default of <see cref="ReconnectGracePeriod"/>: 5 seconds.</summary>
    public static readonly TimeSpan DefaultReconnectGracePeriod = TimeSpan.FromSeconds(5);

    /// <summary>The default of <see cref="RetryInterval"/>: 250 milliseconds.</summary>
    public static readonly TimeSpan DefaultRetryInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>The default of <see cref="ShutdownTimeout"/>: 5 seconds.</summary>
    public static readonly TimeSpan DefaultShutdownTimeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The StackExchange.Redis configuration string: endpoints and settings such as
    /// <c>"redis1:6379,password=secret,ssl=true"</c>. Default <c>"localhost:6379"</c>. <c>abortConnect</c> is always treated
    /// as <see langword="false"/>: a mirror whose server is down starts anyway, keeps local delivery going and connects later.
    /// </summary>
    public string Configuration { get; set; } = "localhost:6379";

    /// <summary>
    /// The pub/sub channel the instances share. Default <see cref="DefaultChannel"/>. No <c>*</c>, and no braces with
    /// <see cref="SharedHistory"/> or sharded pub/sub, whose keys use the channel as their cluster hash tag.
    /// </summary>
    public string Channel { get; set; } = DefaultChannel;

    /// <summary>
    /// When <see langword="true"/>, an event with a <see cref="WebSocketEvent.SessionId"/> is published on
    /// <c>&lt;Channel&gt;:session:&lt;SessionId&gt;</c> instead of <see cref="Channel"/>, so a consumer can subscribe to one
    /// session; the mirror itself listens to both. Default <see langword="false"/>.
    /// </summary>
    public bool UseSessionChannels { get; set; }

    /// <summary>
    /// Classic or sharded pub/sub. Default <see cref="RedisPubSubMode.Classic"/>, which works on one server and on a Redis
    /// Cluster alike; both survive a cluster failover (docs/redis.md). Every instance must use the same, and so must other
    /// publishers into the stream: <c>SPUBLISH</c> when sharded. <see cref="RedisPubSubMode.Sharded"/> cannot be combined with <see cref="UseSessionChannels"/>, whose
    /// pattern subscription sharded pub/sub does not have.
    /// </summary>
    public RedisPubSubMode PubSubMode { get; set; }

    /// <summary>
    /// How many local events may wait to be sent, for example while Redis is down. Default <see cref="DefaultOutboundBufferSize"/>;
    /// from 1 to <see cref="ListenerOptions.MaxCapacity"/>.
    /// </summary>
    public int OutboundBufferSize { get; set; } = DefaultOutboundBufferSize;

    /// <summary>
    /// What happens to a new local event when the outbound buffer is full: <see cref="OverflowPolicy.DropOldest"/> (default) or
    /// <see cref="OverflowPolicy.DropNewest"/>; either way the drop is counted. <see cref="OverflowPolicy.Wait"/> is rejected,
    /// because publishing must never wait for Redis.
    /// </summary>
    public OverflowPolicy OutboundOverflowPolicy { get; set; } = OverflowPolicy.DropOldest;

    /// <summary>The most events sent in one pipelined write. Default <see cref="DefaultMaxBatchSize"/>; from 1 to 10,000.</summary>
    public int MaxBatchSize { get; set; } = DefaultMaxBatchSize;

    /// <summary>
    /// How long a batch may wait to fill before it is sent. Default <see cref="TimeSpan.Zero"/>: send what is queued as soon
    /// as the previous write is done, which batches under load and adds no delay when idle. <c>TimeSpan.FromSeconds(1)</c>
    /// gives the buffered publisher of the admin-panel design (50 events or 1 second). At most one minute.
    /// </summary>
    public TimeSpan MaxBatchDelay { get; set; } = TimeSpan.Zero;

    /// <summary>
    /// Event types that end a waiting batch at once, as exact names, prefixes such as <c>system.*</c>, or <c>*</c>; only matters
    /// when <see cref="MaxBatchDelay"/> is positive. Default empty.
    /// </summary>
    public IList<string> ImmediateEventTypes { get; } = [];

    /// <summary>
    /// How many received messages may wait to be parsed and published locally; when full the oldest is dropped and counted.
    /// Default <see cref="DefaultInboundBufferSize"/>; from 1 to <see cref="ListenerOptions.MaxCapacity"/>.
    /// </summary>
    public int InboundBufferSize { get; set; } = DefaultInboundBufferSize;

    /// <summary>Received messages longer than this are counted as malformed and skipped. Default <see cref="DefaultMaxMessageBytes"/>; at least 64.</summary>
    public int MaxMessageBytes { get; set; } = DefaultMaxMessageBytes;

    /// <summary>
    /// After Redis comes back, how long the mirror holds its buffered events while waiting for the other instances it last
    /// saw to resubscribe, so they do not miss what it sends; counted from when this mirror is subscribed again itself (a
    /// cluster's failover may take longer than this). Default <see cref="DefaultReconnectGracePeriod"/>; zero sends at once.
    /// </summary>
    public TimeSpan ReconnectGracePeriod { get; set; } = DefaultReconnectGracePeriod;

    /// <summary>How long the mirror waits between attempts while Redis is unreachable. Default <see cref="DefaultRetryInterval"/>; positive, at most one minute.</summary>
    public TimeSpan RetryInterval { get; set; } = DefaultRetryInterval;

    /// <summary>How long stopping may spend sending what is buffered; what is left after that is counted as dropped. Default <see cref="DefaultShutdownTimeout"/>; not negative.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = DefaultShutdownTimeout;

    /// <summary>
    /// When <see langword="true"/>, every mirrored event is also appended to the Redis stream <c>&lt;Channel&gt;:history</c> (XADD with
    /// an approximate MAXLEN, in one script with the PUBLISH, so the stream's order is the order every instance receives), and
    /// socket clients can resume on any instance from it (docs/replay.md). Default <see langword="false"/>.
    /// </summary>
    public bool SharedHistory { get; set; }

    /// <summary>About how many events the shared stream keeps (Redis trims with <c>MAXLEN ~</c>). Default <see cref="DefaultSharedHistoryLength"/>; from 100 to 1,000,000.</summary>
    public int SharedHistoryLength { get; set; } = DefaultSharedHistoryLength;

    internal ConfigurationOptions ParsedConfiguration()
    {
        ConfigurationOptions parsed;
        try
        {
            parsed = ConfigurationOptions.Parse(Configuration);
        }
        catch (ArgumentException ex)
        {
            throw new ArgumentException($"{nameof(RedisMirrorOptions)}.{nameof(Configuration)} is not a valid StackExchange.Redis configuration: {ex.Message}", nameof(Configuration), ex);
        }

        if (parsed.EndPoints.Count == 0)
        {
            throw new ArgumentException($"{nameof(RedisMirrorOptions)}.{nameof(Configuration)} names no endpoint; give at least host:port.", nameof(Configuration));
        }

        parsed.AbortOnConnectFail = false;
        return parsed;
    }

    void IValidatable.Validate() => Validate();

    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(Configuration))
        {
            throw new ArgumentException($"{nameof(RedisMirrorOptions)}.{nameof(Configuration)} must not be empty.", nameof(Configuration));
        }

        ParsedConfiguration();
        if (string.IsNullOrWhiteSpace(Channel) || Channel.Contains('*', StringComparison.Ordinal) || Channel.Any(char.IsControl))
        {
            throw new ArgumentException($"{nameof(RedisMirrorOptions)}.{nameof(Channel)} must be a non-blank name without '*' or control characters.", nameof(Channel));
        }

        if ((SharedHistory || PubSubMode == RedisPubSubMode.Sharded) && Channel.AsSpan().IndexOfAny('{', '}') >= 0)
        {
            // The shared history's keys carry the channel as their hash tag, so that a cluster keeps them in its slot.
            throw new ArgumentException($"{nameof(RedisMirrorOptions)}.{nameof(Channel)} must not contain '{{' or '}}' with {nameof(SharedHistory)} or sharded pub/sub: the keys use it as their hash tag.", nameof(Channel));
        }

        if (!Enum.IsDefined(PubSubMode))
        {
            throw new ArgumentOutOfRangeException(nameof(PubSubMode), PubSubMode, $"{nameof(RedisMirrorOptions)}.{nameof(PubSubMode)} must be Classic or Sharded.");
        }

        if (PubSubMode == RedisPubSubMode.Sharded && UseSessionChannels)
        {
            throw new ArgumentException($"{nameof(RedisMirrorOptions)}.{nameof(UseSessionChannels)} needs a pattern subscription, which sharded pub/sub does not have; use {nameof(PubSubMode)} Classic with it.", nameof(UseSessionChannels));
        }

        InRange(OutboundBufferSize, 1, ListenerOptions.MaxCapacity, nameof(OutboundBufferSize));
        if (OutboundOverflowPolicy is not (OverflowPolicy.DropOldest or OverflowPolicy.DropNewest))
        {
            throw new ArgumentOutOfRangeException(nameof(OutboundOverflowPolicy), OutboundOverflowPolicy, $"{nameof(RedisMirrorOptions)}.{nameof(OutboundOverflowPolicy)} must be DropOldest or DropNewest; publishing never waits for Redis.");
        }

        InRange(MaxBatchSize, 1, 10_000, nameof(MaxBatchSize));
        InRange(SharedHistoryLength, 100, 1_000_000, nameof(SharedHistoryLength));
        InRange(MaxBatchDelay, TimeSpan.Zero, TimeSpan.FromMinutes(1), nameof(MaxBatchDelay));
        try
        {
            // The same pattern rules as listener filters: names, prefixes ending in '*', or '*'.
            _ = EventTypeFilter.Create(ImmediateEventTypes, nameof(ImmediateEventTypes));
        }
        catch (ArgumentException ex)
        {
            throw new ArgumentException($"{nameof(RedisMirrorOptions)}.{nameof(ImmediateEventTypes)} is invalid: {ex.Message.Split(" (Parameter")[0]}", nameof(ImmediateEventTypes), ex);
        }

        InRange(InboundBufferSize, 1, ListenerOptions.MaxCapacity, nameof(InboundBufferSize));
        InRange(MaxMessageBytes, 64, int.MaxValue, nameof(MaxMessageBytes));
        InRange(ReconnectGracePeriod, TimeSpan.Zero, TimeSpan.FromMinutes(10), nameof(ReconnectGracePeriod));
        InRange(RetryInterval, TimeSpan.FromMilliseconds(1), TimeSpan.FromMinutes(1), nameof(RetryInterval));
        InRange(ShutdownTimeout, TimeSpan.Zero, TimeSpan.FromMinutes(10), nameof(ShutdownTimeout));
    }

    private static void InRange<T>(T value, T min, T max, string name)
        where T : IComparable<T>
    {
        if (value.CompareTo(min) < 0 || value.CompareTo(max) > 0)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{nameof(RedisMirrorOptions)}.{name} must be between {min} and {max}.");
        }
    }
}
