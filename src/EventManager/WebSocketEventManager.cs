using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using EventManager.Diagnostics;
using EventManager.History;
using EventManager.Listeners;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace EventManager;

/// <summary>
/// Publishes events from any thread and delivers them to registered listeners in one order.
/// </summary>
/// <remarks>
/// Publishing writes to one bounded ingress queue. One dispatcher takes events from it in order, stamps each with the next
/// <see cref="WebSocketEvent.Sequence"/>, and hands it to the bounded queue of every listener whose filter accepts it; each
/// listener's handler runs on its own loop. So every listener sees the same order, one publisher's events keep the order
/// they were published in, a slow listener fills only its own queue, and memory stays bounded. Handlers are called outside
/// any lock and may add or remove listeners or publish.
/// </remarks>
public sealed partial class WebSocketEventManager : IAsyncDisposable, IDisposable
{
    private static readonly ListenerOptions DefaultListenerOptions = new();

    private readonly Channel<WebSocketEvent> _ingress;
    private readonly TimeSpan _shutdownTimeout;
    private readonly ILogger _logger;
    private readonly EventManagerInstruments _instruments;
    private readonly CancellationTokenSource _abort = new();
    private readonly TaskCompletionSource _disposed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _gate = new();
    private readonly Dictionary<long, Listener> _registry = [];
    private readonly Task _dispatcher;
    private readonly Lock _historyGate = new();
    private readonly EventHistory? _history;
    private readonly DateTimeOffset _startedAt;
    private readonly DropReporter _ingressDrops;
    private readonly int _ingressCapacity;
    private Listener[] _listeners = [];
    private long _nextListenerId;
    private long _retiredDelivered;
    private long _retiredDropped;
    private long _retiredSocketClientDropped;
    private long _retiredErrors;
    private PaddedCounter _published;
    private long _rejected;
    private long _ingressDropped;
    // Owned by the dispatcher: the last sequence stamped. Others read _dispatched, the event being or last handed to the
    // listeners, which trails it by the rest of a batch.
    private long _sequence;
    private long _dispatched;
    private int _disposeState;

    /// <summary>Creates a manager and starts its dispatcher.</summary>
    /// <param name="options">The settings; defaults when <see langword="null"/>.</param>
    /// <param name="logger">Where listener failures and shutdown problems are logged; nowhere when <see langword="null"/>.</param>
    /// <param name="meterFactory">Creates the <c>EventManager</c> meter; a standalone meter when <see langword="null"/>.</param>
    /// <exception cref="ArgumentException">An option is invalid; the exception names it.</exception>
    public WebSocketEventManager(EventManagerOptions? options = null, ILogger<WebSocketEventManager>? logger = null, IMeterFactory? meterFactory = null)
    {
        options ??= new EventManagerOptions();
        options.Validate();
        InstanceId = options.InstanceId ?? Guid.NewGuid().ToString("N");
        TimeProvider = options.TimeProvider ?? TimeProvider.System;
        _shutdownTimeout = options.ShutdownTimeout;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        var (ingressCapacity, ingressPolicy) = (options.IngressCapacity, options.IngressOverflowPolicy);
        _ingressCapacity = ingressCapacity;
        _ingressDrops = new DropReporter(TimeProvider, (dropped, total) => Log.IngressDropped(_logger, InstanceId, dropped, total, ingressCapacity, ingressPolicy));
        _ingress = Channel.CreateBounded<WebSocketEvent>(
            new BoundedChannelOptions(options.IngressCapacity)
            {
                FullMode = options.IngressOverflowPolicy.ToChannelMode(),
                SingleReader = true,
            },
            _ => _ingressDrops.Add());
        // Compared with the creation time inside event ids (version 7 GUIDs, from EventIds.New or Guid.CreateVersion7), which
        // carry it in whole milliseconds.
        var now = TimeProvider.System.GetUtcNow();
        _startedAt = now.AddTicks(-(now.Ticks % TimeSpan.TicksPerMillisecond));
        Epoch = Guid.CreateVersion7().ToString("N");
        _history = options.HistoryCapacity == 0 ? null : new EventHistory(options.HistoryCapacity, options.HistoryMaxAge, TimeProvider, Epoch);
        _instruments = new EventManagerInstruments(this, meterFactory);
        _dispatcher = Task.Run(DispatchAsync);
    }

    /// <summary>
    /// The name of the <see cref="ActivitySource"/> that traces publishing and each handler call (<c>EventManager</c>); pass it
    /// to OpenTelemetry's <c>AddSource</c>. While nothing listens to it, no activity is created.
    /// </summary>
    public const string ActivitySourceName = "EventManager";

    /// <summary>The id of this manager, stamped as <see cref="WebSocketEvent.OriginId"/> on the events published here.</summary>
    public string InstanceId { get; }

    /// <summary>The clock used for timestamps and timeouts.</summary>
    public TimeProvider TimeProvider { get; }

    /// <summary>
    /// Identifies this manager's stream. A new manager is a new stream with a new epoch: an event id remembered from another
    /// epoch marks no position here, and resuming from one reports <see cref="ResumeStatus.EpochChanged"/>.
    /// </summary>
    public string Epoch { get; }

    /// <summary>How many listeners are registered.</summary>
    public int ListenerCount => Volatile.Read(ref _listeners).Length;

    /// <summary>
    /// Publishes an event. When the ingress queue is full under <see cref="OverflowPolicy.Wait"/>, blocks until there is room;
    /// prefer <see cref="PublishAsync"/> in asynchronous code.
    /// </summary>
    /// <param name="evt">The event; an instance is published once.</param>
    /// <exception cref="ArgumentException"><paramref name="evt"/> was already published.</exception>
    /// <exception cref="ObjectDisposedException">The manager is disposed or being disposed.</exception>
    public void Publish(WebSocketEvent evt)
    {
        var pending = PublishAsync(evt, CancellationToken.None);
        if (!pending.IsCompletedSuccessfully)
        {
            pending.AsTask().GetAwaiter().GetResult();
        }
    }

    /// <summary>Publishes an event if the ingress queue has room, never waiting.</summary>
    /// <param name="evt">The event; an instance is published once.</param>
    /// <returns><see langword="false"/> when the queue is full under <see cref="OverflowPolicy.Wait"/> (counted as rejected; the event may be published later); otherwise <see langword="true"/>.</returns>
    /// <exception cref="ArgumentException"><paramref name="evt"/> was already published.</exception>
    /// <exception cref="ObjectDisposedException">The manager is disposed or being disposed.</exception>
    public bool TryPublish(WebSocketEvent evt)
    {
        Claim(evt);
        using var activity = EventTracing.StartPublish(evt);
        if (_ingress.Writer.TryWrite(evt))
        {
            Interlocked.Increment(ref _published.Value);
            return true;
        }

        if (activity is not null)
        {
            // The event may be published again later, under a span of its own; this one ends unsent.
            activity.SetStatus(ActivityStatusCode.Error, "The ingress queue is full.");
            evt.ClearTraceContext(activity.Id);
        }

        evt.ReleaseClaim();
        ThrowIfDisposed();
        Interlocked.Increment(ref _rejected);
        return false;
    }

    /// <summary>Publishes an event, waiting for room when the ingress queue is full under <see cref="OverflowPolicy.Wait"/>.</summary>
    /// <param name="evt">The event; an instance is published once.</param>
    /// <param name="cancellationToken">Stops waiting for room; the event is then not published.</param>
    /// <returns>A task that completes when the event is queued.</returns>
    /// <exception cref="ArgumentException"><paramref name="evt"/> was already published.</exception>
    /// <exception cref="ObjectDisposedException">The manager is disposed or being disposed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled while waiting.</exception>
    public ValueTask PublishAsync(WebSocketEvent evt, CancellationToken cancellationToken = default)
    {
        Claim(evt);

        // The span ends here, before any wait for room: Activity.Current must not outlive this call in the caller's context.
        using (EventTracing.StartPublish(evt))
        {
            if (_ingress.Writer.TryWrite(evt))
            {
                Interlocked.Increment(ref _published.Value);
                return default;
            }
        }

        return PublishSlowAsync(evt, cancellationToken);
    }

    /// <summary>Registers a synchronous handler. It receives the events dispatched after it is registered.</summary>
    /// <param name="handler">Called once per event on the listener's own loop. Exceptions are logged and counted; the listener keeps receiving.</param>
    /// <param name="options">Queue and filters; defaults when <see langword="null"/>.</param>
    /// <returns>The listener id, for <see cref="RemoveListener"/>.</returns>
    /// <exception cref="ArgumentException">An option is invalid; the exception names it.</exception>
    /// <exception cref="ObjectDisposedException">The manager is disposed.</exception>
    public long AddListener(Action<WebSocketEvent> handler, ListenerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return Register(handler, null, options).Id;
    }

    /// <summary>Registers an asynchronous handler. It receives the events dispatched after it is registered, one at a time.</summary>
    /// <param name="handler">Awaited once per event; its token is cancelled when shutdown gives up waiting. Exceptions are logged and counted; the listener keeps receiving.</param>
    /// <param name="options">Queue and filters; defaults when <see langword="null"/>.</param>
    /// <returns>The listener id, for <see cref="RemoveListener"/>.</returns>
    /// <exception cref="ArgumentException">An option is invalid; the exception names it.</exception>
    /// <exception cref="ObjectDisposedException">The manager is disposed.</exception>
    public long AddListener(Func<WebSocketEvent, CancellationToken, ValueTask> handler, ListenerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return Register(null, handler, options).Id;
    }

    /// <summary>
    /// Subscribes as a pull listener: the enumeration yields, one at a time, the events dispatched after it starts,
    /// from a bounded queue that behaves as a listener's does (same options, filters, counters and metrics). It ends
    /// when the manager is disposed and the queue is drained, or when the listener is removed by its id. Cancelling
    /// the token or leaving the <c>await foreach</c> removes the listener.
    /// </summary>
    /// <param name="options">Queue and filters; defaults when <see langword="null"/>.</param>
    /// <param name="cancellationToken">Stops the enumeration.</param>
    /// <returns>The events.</returns>
    /// <exception cref="ArgumentException">An option is invalid; thrown when enumeration starts.</exception>
    /// <exception cref="ObjectDisposedException">The manager is disposed; thrown when enumeration starts.</exception>
    public IAsyncEnumerable<WebSocketEvent> ReadEventsAsync(ListenerOptions? options = null, CancellationToken cancellationToken = default) =>
        ReadEventsAsync(null, options, cancellationToken);

    /// <summary>
    /// As <see cref="ReadEventsAsync(ListenerOptions?, CancellationToken)"/>, starting right after the event with id
    /// <paramref name="afterEventId"/>: the kept events after it first, then live events, without a gap. When the event cannot
    /// be found the enumeration starts live; use <see cref="Subscribe(ListenerOptions?, string?)"/> to learn whether it was.
    /// </summary>
    /// <param name="afterEventId">The id of the last event the consumer has, or <see langword="null"/> to start live.</param>
    /// <param name="options">Queue and filters; defaults when <see langword="null"/>.</param>
    /// <param name="cancellationToken">Stops the enumeration.</param>
    /// <returns>The events.</returns>
    public async IAsyncEnumerable<WebSocketEvent> ReadEventsAsync(
        string? afterEventId,
        ListenerOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var subscription = Subscribe(options, afterEventId);
        while (await subscription.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            while (subscription.TryRead(out var evt))
            {
                yield return evt;
            }
        }
    }

    /// <summary>
    /// Subscribes as a pull listener, the primitive behind <see cref="ReadEventsAsync(ListenerOptions?, CancellationToken)"/>: read the events dispatched from now on
    /// with <see cref="EventSubscription.WaitToReadAsync"/> and <see cref="EventSubscription.TryRead"/>, as from a channel, and see
    /// how many the queue's overflow policy dropped. Dispose the subscription to remove the listener.
    /// </summary>
    /// <param name="options">Queue and filters; defaults when <see langword="null"/>.</param>
    /// <returns>The subscription.</returns>
    /// <exception cref="ArgumentException">An option is invalid; the exception names it.</exception>
    /// <exception cref="ObjectDisposedException">The manager is disposed.</exception>
    public EventSubscription Subscribe(ListenerOptions? options = null) => Subscribe(options, null);

    /// <summary>
    /// Unregisters a listener. Once this returns, its handler is not called again, except for a call already running.
    /// Events still queued for it are counted as dropped. Safe to call from inside any handler, including its own.
    /// </summary>
    /// <param name="listenerId">The id from <c>AddListener</c>.</param>
    /// <returns>Whether the listener was registered.</returns>
    public bool RemoveListener(long listenerId)
    {
        lock (_gate)
        {
            if (!_registry.TryGetValue(listenerId, out var listener) || listener.IsRemoved)
            {
                return false;
            }

            listener.Remove();
            _listeners = Array.FindAll(_listeners, l => l.Id != listenerId);
            return true;
        }
    }

    /// <summary>
    /// Stops accepting events, delivers everything already accepted, then stops. If that takes longer than
    /// <see cref="EventManagerOptions.ShutdownTimeout"/>, cancels the handlers' tokens, counts what is left as dropped,
    /// logs a warning and returns without waiting for handlers that ignore cancellation. Calling it again waits for the first call.
    /// </summary>
    /// <returns>A task that completes when the manager has stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposeState, 1) != 0)
        {
            await _disposed.Task.ConfigureAwait(false);
            return;
        }

        try
        {
            _ingress.Writer.TryComplete();
            var drained = DrainAsync();
            try
            {
                await drained.WaitAsync(_shutdownTimeout, TimeProvider).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                var undelivered = _ingress.Reader.Count + GetMetrics().Listeners.Sum(l => (long)l.Pending);
                await _abort.CancelAsync().ConfigureAwait(false);
                Log.ShutdownTimedOut(_logger, InstanceId, _shutdownTimeout, undelivered);
            }

            var final = GetMetrics();
            Log.Stopped(_logger, InstanceId, final.Published, final.Delivered, final.Dropped);
        }
        finally
        {
            _ingressDrops.Complete();
            _instruments.Dispose();
            _disposed.TrySetResult();
        }
    }

    /// <summary>
    /// Blocks until <see cref="DisposeAsync"/> completes, for callers that cannot await, such as a synchronously disposed
    /// service provider. Prefer <see cref="DisposeAsync"/>.
    /// </summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private Listener Register(Action<WebSocketEvent>? syncHandler, Func<WebSocketEvent, CancellationToken, ValueTask>? asyncHandler, ListenerOptions? options)
    {
        options ??= DefaultListenerOptions;
        options.Validate();
        var types = options.EventTypes is null ? null : EventTypeFilter.Create(options.EventTypes, nameof(ListenerOptions.EventTypes));
        lock (_gate)
        {
            ThrowIfDisposed();
            var listener = new Listener(++_nextListenerId, options, types, syncHandler, asyncHandler, _logger, TimeProvider);
            _registry.Add(listener.Id, listener);
            _listeners = [.. _listeners, listener];
            listener.Start(RunListenerAsync);
            return listener;
        }
    }

    private async Task RunListenerAsync(Listener listener)
    {
        await Task.Yield();
        await listener.RunAsync(_abort.Token).ConfigureAwait(false);
        lock (_gate)
        {
            var figures = listener.Snapshot();
            _retiredDelivered += figures.Delivered;
            _retiredDropped += figures.Dropped;
            if (Health.EventManagerHealthCheck.IsSocketClient(listener.Name))
            {
                _retiredSocketClientDropped += figures.Dropped;
            }

            _retiredErrors += figures.Errors;
            _registry.Remove(listener.Id);
            if (!listener.IsRemoved)
            {
                _listeners = Array.FindAll(_listeners, l => l != listener);
            }
        }
    }

    private async ValueTask PublishSlowAsync(WebSocketEvent evt, CancellationToken cancellationToken)
    {
        try
        {
            await _ingress.Writer.WriteAsync(evt, cancellationToken).ConfigureAwait(false);
            Interlocked.Increment(ref _published.Value);
        }
        catch (ChannelClosedException)
        {
            evt.ReleaseClaim();
            throw new ObjectDisposedException(nameof(WebSocketEventManager), "The event manager is disposed; the event was not published.");
        }
        catch
        {
            evt.ReleaseClaim();
            throw;
        }
    }

    private void Claim(WebSocketEvent evt)
    {
        ArgumentNullException.ThrowIfNull(evt);
        ThrowIfDisposed();
        if (!evt.TryClaim())
        {
            throw new ArgumentException(
                $"Event {evt.EventId} has already been published; an instance is published once. Publish a copy made with 'evt with {{ }}'.",
                nameof(evt));
        }
    }

    /// <summary>Whether disposal has begun.</summary>
    internal bool IsDisposed => Volatile.Read(ref _disposeState) != 0;

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposeState) != 0, this);
}
