using System.Diagnostics.Metrics;
using System.Threading.Channels;
using EventManager.Redis.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace EventManager.Redis;

/// <summary>
/// Mirrors a <see cref="WebSocketEventManager"/> through Redis pub/sub, so that an event published in any instance reaches the
/// listeners of every instance once.
/// </summary>
/// <remarks>
/// Outbound, the mirror is a listener of its manager with a bounded queue: every event first published here is written to
/// Redis in pipelined batches, and publishing never waits for Redis. Inbound, every message on the channel is parsed and
/// published to the local manager keeping its origin id, event id and timestamp; this instance's own events coming back
/// are skipped. When Redis is down, local delivery goes on, local events wait in the bounded buffer (overflow counted) and
/// are sent in order once the connection is back. See <c>docs/redis.md</c>.
/// </remarks>
public sealed partial class RedisEventMirror : IAsyncDisposable
{
    private readonly WebSocketEventManager _manager;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly ConfigurationOptions _configuration;
    private readonly RedisChannel _channel;
    private readonly RedisChannel _sessionPattern;
    private readonly string? _sessionChannelPrefix;
    private readonly byte[] _instanceIdUtf8;
    private readonly int _maxBatchSize;
    private readonly bool _sharedHistory;
    private readonly int _sharedHistoryLength;
    private readonly TimeSpan _maxBatchDelay;
    private readonly EventTypeFilter? _immediateTypes;
    private readonly int _maxMessageBytes;
    private readonly TimeSpan _reconnectGracePeriod;
    private readonly TimeSpan _retryInterval;
    private readonly TimeSpan _shutdownTimeout;
    private readonly Channel<byte[]> _inbound;
    private readonly RecentEventIds _recentEventIds;
    private readonly EventSubscription _outbound;
    private readonly TaskCompletionSource _stopping = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _abort = new();
    private readonly Lock _healthGate = new();
    private readonly RedisMirrorInstruments _instruments;
    private ConnectionMultiplexer? _connection;
    private ISubscriber? _subscriber;
    private Task _outboundLoop = Task.CompletedTask;
    private Task _inboundLoop = Task.CompletedTask;
    private Task _healthLoop = Task.CompletedTask;
    private RedisMirrorHealth _health = RedisMirrorHealth.Starting;
    private bool _started;
    private bool _stopped;
    private bool _catchingUp;
    private bool _writeFailing;
    private int _disposeState;
    private long _mirroredOut;
    private long _mirroredIn;
    private long _echoes;
    private long _duplicates;
    private long _malformed;
    private long _inboundDropped;
    private long _redisErrors;
    private long _reconnects;
    private long _abandoned;
    private int _unsent;
    private volatile bool _acceptingOutbound = true;
    private long _lastMalformedWarning = long.MinValue;

    internal RedisEventMirror(WebSocketEventManager manager, RedisMirrorOptions options, ILogger<RedisEventMirror>? logger, IMeterFactory? meterFactory)
    {
        ArgumentNullException.ThrowIfNull(manager);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _manager = manager;
        _instanceIdUtf8 = System.Text.Encoding.UTF8.GetBytes(manager.InstanceId);
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _time = manager.TimeProvider;
        _configuration = options.ParsedConfiguration();
        _channel = new RedisChannel(options.Channel, RedisChannel.PatternMode.Literal);
        _historyKey = options.Channel + ":history";
        _epochKey = options.Channel + ":epoch";
        if (options.UseSessionChannels)
        {
            _sessionChannelPrefix = options.Channel + ":session:";
            _sessionPattern = new RedisChannel(_sessionChannelPrefix + "*", RedisChannel.PatternMode.Pattern);
        }

        _maxBatchSize = options.MaxBatchSize;
        _sharedHistory = options.SharedHistory;
        _sharedHistoryLength = options.SharedHistoryLength;
        _maxBatchDelay = options.MaxBatchDelay;
        _immediateTypes = options.ImmediateEventTypes.Count == 0 ? null : EventTypeFilter.Create(options.ImmediateEventTypes, nameof(options.ImmediateEventTypes));
        _maxMessageBytes = options.MaxMessageBytes;
        _reconnectGracePeriod = options.ReconnectGracePeriod;
        _retryInterval = options.RetryInterval;
        _shutdownTimeout = options.ShutdownTimeout;
        _recentEventIds = new RecentEventIds(Math.Max(16_384, 4 * options.MaxBatchSize));
        _inbound = System.Threading.Channels.Channel.CreateBounded<byte[]>(
            new BoundedChannelOptions(options.InboundBufferSize) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true },
            _ => Interlocked.Increment(ref _inboundDropped));

        // Own events only: events that came in from Redis carry another instance's origin and must not go back out. Subscribing
        // now means events published while connecting are buffered.
        var instanceId = manager.InstanceId;
        _outbound = manager.Subscribe(new ListenerOptions
        {
            Name = "redis-mirror:" + options.Channel,
            Capacity = options.OutboundBufferSize,
            OverflowPolicy = options.OutboundOverflowPolicy,
            Filter = evt => _acceptingOutbound && string.Equals(evt.OriginId, instanceId, StringComparison.Ordinal),
        });
        _instruments = new RedisMirrorInstruments(this, meterFactory);
    }

    /// <summary>The id of the manager's instance, which marks its events in Redis.</summary>
    public string InstanceId => _manager.InstanceId;

    /// <summary>The pub/sub channel the mirror publishes and subscribes to.</summary>
    public string Channel => _channel.ToString();

    /// <summary>How well the mirror is working now. Changes are logged (Information when connected, Warning otherwise).</summary>
    public RedisMirrorHealth Health
    {
        get
        {
            lock (_healthGate)
            {
                return _health;
            }
        }
    }

    /// <summary>
    /// Connects to Redis, subscribes and starts mirroring <paramref name="manager"/>. If Redis is unreachable this returns after
    /// the configuration's connect timeout in <see cref="RedisMirrorHealth.LocalOnly"/> and keeps trying in the background.
    /// </summary>
    /// <param name="manager">The manager to mirror; disposing the mirror does not dispose it.</param>
    /// <param name="options">The settings.</param>
    /// <param name="logger">Where state changes and malformed messages are logged; nowhere when <see langword="null"/>.</param>
    /// <param name="meterFactory">Creates the <c>EventManager.Redis</c> meter; a standalone meter when <see langword="null"/>.</param>
    /// <param name="cancellationToken">Abandons the start; the partly started mirror is disposed.</param>
    /// <returns>The running mirror. Dispose it to stop.</returns>
    /// <exception cref="ArgumentException">An option is invalid; the exception names it.</exception>
    /// <exception cref="ObjectDisposedException">The manager is disposed.</exception>
    public static async Task<RedisEventMirror> StartAsync(
        WebSocketEventManager manager,
        RedisMirrorOptions options,
        ILogger<RedisEventMirror>? logger = null,
        IMeterFactory? meterFactory = null,
        CancellationToken cancellationToken = default)
    {
        var mirror = new RedisEventMirror(manager, options, logger, meterFactory);
        try
        {
            await mirror.StartCoreAsync(cancellationToken).ConfigureAwait(false);
            return mirror;
        }
        catch
        {
            await mirror.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Takes a snapshot of the counters. The same figures are on the <c>EventManager.Redis</c> meter.</summary>
    /// <returns>The snapshot.</returns>
    public RedisMirrorMetrics GetMetrics()
    {
        return new RedisMirrorMetrics(
            Health,
            Interlocked.Read(ref _mirroredOut),
            Interlocked.Read(ref _mirroredIn),
            Interlocked.Read(ref _echoes),
            Interlocked.Read(ref _duplicates),
            Interlocked.Read(ref _malformed),
            Interlocked.Read(ref _inboundDropped),
            Interlocked.Read(ref _redisErrors),
            Interlocked.Read(ref _reconnects),
            _outbound.Pending + Volatile.Read(ref _unsent),
            _outbound.Dropped + Interlocked.Read(ref _abandoned));
    }

    /// <summary>
    /// Stops mirroring: unsubscribes, sends what is buffered within <see cref="RedisMirrorOptions.ShutdownTimeout"/> (the rest is
    /// counted as dropped) and closes the connection. The manager keeps running. Calling it again does nothing.
    /// </summary>
    /// <returns>A task that completes when the mirror has stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposeState, 1) != 0)
        {
            return;
        }

        if (_subscriber is not null)
        {
            try
            {
                await _subscriber.UnsubscribeAllAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                // Unreachable Redis has no subscription to end; the connection is closed below anyway.
            }
        }

        _inbound.Writer.TryComplete();
        Volatile.Write(ref _publishedBeforeStop, _manager.GetMetrics().Published);
        _stopping.TrySetResult();
        try
        {
            await Task.WhenAll(_outboundLoop, _inboundLoop).WaitAsync(_shutdownTimeout, _time).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            Log.ShutdownTimedOut(_logger, _shutdownTimeout, GetMetrics().OutboundBufferDepth);
        }

        await _abort.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(_outboundLoop, _inboundLoop, _healthLoop).ConfigureAwait(false);
        _acceptingOutbound = false;
        StopOutbound();
        if (_connection is not null)
        {
            _connection.ConnectionFailed -= OnConnectionFailed;
            _connection.ConnectionRestored -= OnConnectionRestored;
            await _connection.CloseAsync(allowCommandsToComplete: false).ConfigureAwait(false);
            _connection.Dispose();
        }

        lock (_healthGate)
        {
            _stopped = true;
        }

        RefreshHealth();
        _instruments.Dispose();
        _abort.Dispose();
    }

    internal async Task StartCoreAsync(CancellationToken cancellationToken)
    {
        _connection = await ConnectionMultiplexer.ConnectAsync(_configuration).WaitAsync(cancellationToken).ConfigureAwait(false);
        _connection.ConnectionFailed += OnConnectionFailed;
        _connection.ConnectionRestored += OnConnectionRestored;
        _subscriber = _connection.GetSubscriber();

        // StackExchange.Redis keeps these subscriptions and renews them on every reconnect, including a first connection
        // made after a start that found no server.
        await _subscriber.SubscribeAsync(_channel, OnMessage).WaitAsync(cancellationToken).ConfigureAwait(false);
        if (_sessionChannelPrefix is not null)
        {
            await _subscriber.SubscribeAsync(_sessionPattern, OnMessage).WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        // StackExchange.Redis completes a subscribe at once, without sending it, when its subscription connection is not up
        // yet; it sends it later. Messages published before then are never seen, so start only once the server has it,
        // or after the connect timeout with the server unreachable. StackExchange.Redis raises no event for it, so this polls,
        // on the manager's clock like every other wait of the mirror.
        var started = _time.GetTimestamp();
        while (!IsSubscribed() && _connection.IsConnected && _time.GetElapsedTime(started) < TimeSpan.FromMilliseconds(_configuration.ConnectTimeout))
        {
            await Task.Delay(TimeSpan.FromMilliseconds(10), _time, cancellationToken).ConfigureAwait(false);
        }

        await RefreshEpochAsync().ConfigureAwait(false);
        lock (_healthGate)
        {
            _started = true;
        }

        RefreshHealth();
        _outboundLoop = Task.Run(RunOutboundAsync, CancellationToken.None);
        _inboundLoop = Task.Run(RunInboundAsync, CancellationToken.None);
        _healthLoop = Task.Run(WatchHealthAsync, CancellationToken.None);
    }

    private void OnConnectionFailed(object? sender, ConnectionFailedEventArgs e)
    {
        if (e.ConnectionType != StackExchange.Redis.ConnectionType.Interactive)
        {
            return;
        }

        Interlocked.Increment(ref _redisErrors);
        Log.ConnectionLost(_logger, e.Exception, e.EndPoint?.ToString(), e.FailureType.ToString());
        RefreshHealth();
    }

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        if (e.ConnectionType == StackExchange.Redis.ConnectionType.Interactive)
        {
            Interlocked.Increment(ref _reconnects);
        }

        RefreshHealth();
    }

    /// <summary>
    /// StackExchange.Redis renews subscriptions some time after it reports a restored connection, with no event of its own,
    /// so the state is looked at again every <see cref="RedisMirrorOptions.RetryInterval"/>.
    /// </summary>
    private async Task WatchHealthAsync()
    {
        while (!_abort.IsCancellationRequested && !_stopping.Task.IsCompleted)
        {
            await WaitAsync(_retryInterval).ConfigureAwait(false);
            RefreshHealth();
            await RefreshEpochAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Whether the server has this mirror's subscriptions, so that it receives what is published.</summary>
    private bool IsSubscribed()
    {
        var subscriber = _subscriber;
        return subscriber is not null
            && subscriber.SubscribedEndpoint(_channel) is not null
            && subscriber.IsConnected(_channel)
            && (_sessionChannelPrefix is null || subscriber.SubscribedEndpoint(_sessionPattern) is not null);
    }

    private void RefreshHealth()
    {
        RedisMirrorHealth previous;
        RedisMirrorHealth next;
        var connected = _connection?.IsConnected == true && IsSubscribed();
        lock (_healthGate)
        {
            previous = _health;
            next = _stopped ? RedisMirrorHealth.Stopped
                : !_started ? RedisMirrorHealth.Starting
                : !connected ? RedisMirrorHealth.LocalOnly
                : _catchingUp || _writeFailing ? RedisMirrorHealth.Degraded
                : RedisMirrorHealth.Connected;
            _health = next;
        }

        if (next != previous)
        {
            Log.HealthChanged(_logger, next == RedisMirrorHealth.Connected || next == RedisMirrorHealth.Stopped ? LogLevel.Information : LogLevel.Warning, InstanceId, Channel, previous, next);
        }
    }

    private void SetFlags(bool? catchingUp = null, bool? writeFailing = null)
    {
        lock (_healthGate)
        {
            _catchingUp = catchingUp ?? _catchingUp;
            _writeFailing = writeFailing ?? _writeFailing;
        }

        RefreshHealth();
    }

    /// <summary>
    /// Counts what the subscription still holds as never sent, then ends it. The filter is closed by now, so the queue only
    /// shrinks; only events dispatched in the moment between the outbound loop's last look and the filter closing are left.
    /// </summary>
    private void StopOutbound()
    {
        while (_outbound.TryRead(out _))
        {
            Interlocked.Increment(ref _abandoned);
        }

        _outbound.Dispose();
    }

    private async Task WaitAsync(TimeSpan delay)
    {
        try
        {
            await Task.Delay(delay, _time, _abort.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopping cut the wait short; the caller checks the abort token.
        }
    }
}
