using System.Diagnostics.Metrics;
using EventManager.Redis.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

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
/// are sent in order once the connection is back. See <c>docs/redis.md</c>. The parts: <see cref="MirrorConnection"/>,
/// <see cref="OutboundBatcher"/>, <see cref="InboundReceiver"/>, <see cref="SharedStreamHistory"/> and
/// <see cref="MirrorHealthTracker"/>.
/// </remarks>
public sealed class RedisEventMirror : ISharedEventHistory, IAsyncDisposable
{
    private readonly WebSocketEventManager _manager;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly TimeSpan _retryInterval;
    private readonly TimeSpan _shutdownTimeout;
    private readonly MirrorCounters _counters = new();
    private readonly MirrorConnection _connection;
    private readonly MirrorHealthTracker _health;
    private readonly SharedStreamHistory? _history;
    private readonly OutboundBatcher _outbound;
    private readonly InboundReceiver _inbound;
    private readonly RedisMirrorInstruments _instruments;
    private readonly CancellationTokenSource _abort = new();

    // Set by the start, awaited by the stop.
    private Task _outboundLoop = Task.CompletedTask;
    private Task _inboundLoop = Task.CompletedTask;
    private Task _healthLoop = Task.CompletedTask;
    private int _disposeState;

    internal RedisEventMirror(WebSocketEventManager manager, RedisMirrorOptions options, ILogger<RedisEventMirror>? logger, IMeterFactory? meterFactory)
    {
        ArgumentNullException.ThrowIfNull(manager);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _manager = manager;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _time = manager.TimeProvider;
        _retryInterval = options.RetryInterval;
        _shutdownTimeout = options.ShutdownTimeout;
        _connection = new MirrorConnection(options, _counters, _logger, _time, () => _health!.Refresh());
        _health = new MirrorHealthTracker(_logger, manager.InstanceId, options.Channel, _connection.IsSubscribed, _connection.DescribeOutage);
        _history = options.SharedHistory ? new SharedStreamHistory(_connection, options, _counters) : null;
        _inbound = new InboundReceiver(manager, options, _connection.Channel, _counters, _logger);
        _outbound = new OutboundBatcher(manager, options, _connection, _history, _health, _counters, _logger);
        _instruments = new RedisMirrorInstruments(this, meterFactory);
    }

    /// <summary>
    /// The name of the <see cref="System.Diagnostics.ActivitySource"/> that traces each batch sent to Redis and each event
    /// received (<c>EventManager.Redis</c>); pass it to OpenTelemetry's <c>AddSource</c>.
    /// </summary>
    public const string ActivitySourceName = "EventManager.Redis";

    /// <summary>The id of the manager's instance, which marks its events in Redis.</summary>
    public string InstanceId => _manager.InstanceId;

    /// <summary>The pub/sub channel the mirror publishes and subscribes to.</summary>
    public string Channel => _connection.Channel.ToString();

    /// <summary>How well the mirror is working now. Changes are logged (Information when connected, Warning otherwise).</summary>
    public RedisMirrorHealth Health => _health.Current;

    /// <summary>The epoch of the shared stream when <see cref="RedisMirrorOptions.SharedHistory"/> is on and Redis has been reached; otherwise <see langword="null"/>.</summary>
    public string? Epoch => _history?.Epoch;

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

    /// <summary>Reads the shared stream for the events after <paramref name="eventId"/>; <see langword="null"/> when it is off, unreachable, or lacks the id.</summary>
    /// <param name="eventId">The id of the last event a client has.</param>
    /// <param name="cancellationToken">Stops waiting for Redis.</param>
    /// <returns>The events after it, oldest first, or <see langword="null"/>.</returns>
    public ValueTask<IReadOnlyList<WebSocketEvent>?> GetEventsAfterAsync(string eventId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(eventId);
        return _history?.GetEventsAfterAsync(eventId, cancellationToken) ?? ValueTask.FromResult<IReadOnlyList<WebSocketEvent>?>(null);
    }

    /// <summary>Takes a snapshot of the counters. The same figures are on the <c>EventManager.Redis</c> meter.</summary>
    /// <returns>The snapshot.</returns>
    public RedisMirrorMetrics GetMetrics() => new(
        Health,
        Interlocked.Read(ref _counters.MirroredOut),
        Interlocked.Read(ref _counters.MirroredIn),
        Interlocked.Read(ref _counters.Echoes),
        Interlocked.Read(ref _counters.Duplicates),
        Interlocked.Read(ref _counters.Malformed),
        Interlocked.Read(ref _counters.InboundDropped),
        Interlocked.Read(ref _counters.RedisErrors),
        Interlocked.Read(ref _counters.Reconnects),
        _outbound.Pending,
        _outbound.Dropped,
        _connection.LastFailure);

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

        _health.MarkStopping();
        await _connection.UnsubscribeAllAsync().ConfigureAwait(false);
        _inbound.Complete();
        _outbound.BeginStop();
        var loops = Task.WhenAll(_outboundLoop, _inboundLoop);
        await loops.WaitAsync(_shutdownTimeout, _time).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (!loops.IsCompleted)
        {
            Log.ShutdownTimedOut(_logger, _shutdownTimeout, _outbound.Pending);
        }

        await _abort.CancelAsync().ConfigureAwait(false);
        try
        {
            // A loop that failed is a bug of ours; it is rethrown here, after everything is released.
            await Task.WhenAll(_outboundLoop, _inboundLoop, _healthLoop).ConfigureAwait(false);
        }
        finally
        {
            _outbound.Stop();
            await _connection.CloseAsync().ConfigureAwait(false);
            _health.MarkStopped();
            _instruments.Dispose();
            _abort.Dispose();
        }
    }

    internal async Task StartCoreAsync(CancellationToken cancellationToken)
    {
        await _connection.ConnectAsync(_inbound.OnMessage, cancellationToken).ConfigureAwait(false);
        if (_history is not null)
        {
            await _history.RefreshEpochAsync().ConfigureAwait(false);
        }

        _health.MarkStarted();
        var abort = _abort.Token;
        _outboundLoop = Task.Run(() => _outbound.RunAsync(abort), CancellationToken.None);
        _inboundLoop = Task.Run(() => _inbound.RunAsync(abort), CancellationToken.None);
        _healthLoop = Task.Run(WatchHealthAsync, CancellationToken.None);
    }

    /// <summary>
    /// StackExchange.Redis renews subscriptions some time after it reports a restored connection, with no event of its own,
    /// and after a cluster failover sometimes not at all, so the state is looked at again every
    /// <see cref="RedisMirrorOptions.RetryInterval"/>, and a subscription missing for long is renewed.
    /// </summary>
    private async Task WatchHealthAsync()
    {
        while (!_abort.IsCancellationRequested && !_outbound.IsStopping)
        {
            await Pause.ForAsync(_retryInterval, _time, _abort.Token).ConfigureAwait(false);
            _health.Refresh();
            await _connection.RenewSubscriptionsIfLostAsync(_abort.Token).ConfigureAwait(false);
            if (_history is not null)
            {
                await _history.RefreshEpochAsync().ConfigureAwait(false);
            }
        }
    }
}
