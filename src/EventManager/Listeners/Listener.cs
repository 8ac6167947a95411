using System.Diagnostics;
using EventManager.Diagnostics;
using Microsoft.Extensions.Logging;

namespace EventManager.Listeners;

/// <summary>
/// One registered listener: its bounded queue, its filters, its counters, and either a loop that calls its handler
/// or, for <see cref="WebSocketEventManager.ReadEventsAsync(ListenerOptions?, CancellationToken)"/>, a consumer that pulls from the queue.
/// </summary>
internal sealed class Listener
{
    private const int Idle = 0;
    private const int Running = 1;
    private const int Removed = 2;

    private readonly ListenerQueue _queue;
    private readonly Action<WebSocketEvent>? _syncHandler;
    private readonly Func<WebSocketEvent, CancellationToken, ValueTask>? _asyncHandler;
    private readonly EventTypeFilter? _types;
    private readonly Func<WebSocketEvent, bool>? _filter;
    private readonly ILogger _logger;
    private readonly OverflowPolicy _policy;
    private readonly TaskCompletionSource? _pullEnded;
    private readonly DropReporter _drops;
    private PaddedCounter _loop;
    private long _errors;

    public Listener(
        long id,
        ListenerOptions options,
        EventTypeFilter? types,
        Action<WebSocketEvent>? syncHandler,
        Func<WebSocketEvent, CancellationToken, ValueTask>? asyncHandler,
        ILogger logger,
        TimeProvider time)
    {
        Id = id;
        Name = options.Name;
        _policy = options.OverflowPolicy;
        _types = types is { MatchesAll: true } ? null : types;
        _filter = options.Filter;
        _syncHandler = syncHandler;
        _asyncHandler = asyncHandler;
        _logger = logger;
        _pullEnded = syncHandler is null && asyncHandler is null
            ? new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)
            : null;
        var capacity = Capacity = options.Capacity;
        _drops = new DropReporter(time, (dropped, total) => Log.ListenerDropped(_logger, Id, Name, dropped, total, capacity, _policy));
        _queue = new ListenerQueue(capacity, _policy);
    }

    public long Id { get; }

    public long Dropped => _drops.Total;

    public int Pending => _queue.Count;

    public string? Name { get; }

    public bool IsRemoved => Volatile.Read(ref _loop.State) == Removed;

    public Task Completion { get; private set; } = Task.CompletedTask;

    public void Start(Func<Listener, Task> run) => Completion = run(this);

    /// <summary>Runs on the dispatcher: whether this listener wants the event.</summary>
    public bool Accepts(WebSocketEvent evt)
    {
        if (_types is not null && !_types.Matches(evt.EventType))
        {
            return false;
        }

        if (_filter is null)
        {
            return true;
        }

        try
        {
            return _filter(evt);
        }
        catch (Exception ex)
        {
            Interlocked.Increment(ref _errors);
            Log.FilterFailed(_logger, ex, Id, Name, evt.EventType, evt.Sequence);
            return false;
        }
    }

    /// <summary>Runs on the dispatcher. False only when a <see cref="OverflowPolicy.Wait"/> queue is full.</summary>
    public bool TryEnqueue(WebSocketEvent evt) => Write(new ReadOnlySpan<WebSocketEvent>(ref evt)) == 1;

    /// <summary>Runs on the dispatcher: waits for room in a <see cref="OverflowPolicy.Wait"/> queue, or for the listener to go.</summary>
    public async ValueTask EnqueueAsync(WebSocketEvent evt, CancellationToken cancellationToken)
    {
        do
        {
            await _queue.WaitForRoomAsync(cancellationToken).ConfigureAwait(false);
        }
        while (Write(new ReadOnlySpan<WebSocketEvent>(ref evt)) == 0);
    }

    /// <summary>Stops deliveries: once this returns, no handler call starts.</summary>
    public void Remove()
    {
        Interlocked.Exchange(ref _loop.State, Removed);
        _queue.Complete();
    }

    /// <summary>How many events the queue can hold.</summary>
    public int Capacity { get; }

    /// <summary>No more events will come; the loop ends once the queue is drained.</summary>
    public void Complete() => _queue.Complete();

    public ListenerMetrics Snapshot() => new(
        Id,
        Name,
        Volatile.Read(ref _loop.Value),
        _drops.Total,
        _queue.Count,
        Volatile.Read(ref _errors));

    /// <summary>Delivers until the queue is completed and drained; for a pull listener, until its consumer ends.</summary>
    public async Task RunAsync(CancellationToken abort)
    {
        try
        {
            await (_pullEnded?.Task ?? RunLoopAsync(abort)).ConfigureAwait(false);
        }
        finally
        {
            _drops.Complete();
        }
    }

    /// <summary>For a pull listener's consumer: waits until an event is queued or the queue is completed.</summary>
    public ValueTask<bool> WaitToTakeAsync(CancellationToken cancellationToken) => _queue.WaitToReadAsync(cancellationToken);

    /// <summary>
    /// For a pull listener's consumer: takes as many queued events as fit in <paramref name="destination"/>, none once the
    /// listener was removed or shutdown was abandoned.
    /// </summary>
    public int TryTake(Span<WebSocketEvent> destination, CancellationToken abort)
    {
        if (abort.IsCancellationRequested || Interlocked.CompareExchange(ref _loop.State, Running, Idle) != Idle)
        {
            return 0;
        }

        try
        {
            var taken = _queue.TryReadMany(destination);
            Volatile.Write(ref _loop.Value, _loop.Value + taken);
            return taken;
        }
        finally
        {
            Interlocked.CompareExchange(ref _loop.State, Idle, Running);
        }
    }

    /// <summary>
    /// For a pull listener's consumer: it has stopped; what is still queued, and <paramref name="unread"/> events it held
    /// beside the queue, are counted as dropped.
    /// </summary>
    public void EndPull(long unread)
    {
        DropRemaining(unread);
        _pullEnded!.TrySetResult();
    }

    private async Task RunLoopAsync(CancellationToken abort)
    {
        var abandoned = 0;
        try
        {
            // No token here: the dispatcher completes this queue when it stops, and an aborted shutdown is checked before
            // every call. One event is taken at a time, so what waits for the handler is all in the queue, within its capacity.
            while (await _queue.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false))
            {
                while (_queue.TryRead(out var evt))
                {
                    if (abort.IsCancellationRequested || Interlocked.CompareExchange(ref _loop.State, Running, Idle) != Idle)
                    {
                        abandoned = 1;
                        return;
                    }

                    try
                    {
                        if (_syncHandler is not null)
                        {
                            Invoke(_syncHandler, evt);
                        }
                        else
                        {
                            await InvokeAsync(_asyncHandler!, evt, abort).ConfigureAwait(false);
                        }
                    }
                    finally
                    {
                        Interlocked.CompareExchange(ref _loop.State, Idle, Running);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (abort.IsCancellationRequested)
        {
            // Shutdown gave up waiting for the handler, which was cancelled: its event is lost with what is still queued.
            abandoned = 1;
        }
        finally
        {
            DropRemaining(abandoned);
        }
    }

    /// <summary>Counts what is still queued, and events already taken but not handled, as dropped, in one report.</summary>
    private void DropRemaining(long taken)
    {
        var count = taken + _queue.Clear();
        if (count > 0)
        {
            _drops.Add(count);
        }
    }

    /// <summary>Runs on the dispatcher: queues events and reports what the overflow policy dropped, outside the queue's lock.</summary>
    private int Write(ReadOnlySpan<WebSocketEvent> events)
    {
        var written = _queue.Write(events, out var dropped);
        if (dropped > 0)
        {
            _drops.Add(dropped);
        }

        return written;
    }

    private void Invoke(Action<WebSocketEvent> handler, WebSocketEvent evt)
    {
        using var activity = EventTracing.StartProcess(evt, Id, Name);
        try
        {
            handler(evt);
            Volatile.Write(ref _loop.Value, _loop.Value + 1);
        }
        catch (Exception ex)
        {
            activity?.SetStatus(ActivityStatusCode.Error, ex.GetType().FullName);
            Failed(ex, evt);
        }
    }

    private async ValueTask InvokeAsync(Func<WebSocketEvent, CancellationToken, ValueTask> handler, WebSocketEvent evt, CancellationToken abort)
    {
        using var activity = EventTracing.StartProcess(evt, Id, Name);
        try
        {
            await handler(evt, abort).ConfigureAwait(false);
            Volatile.Write(ref _loop.Value, _loop.Value + 1);
        }
        catch (OperationCanceledException) when (abort.IsCancellationRequested)
        {
            // Shutdown cancelled the handler: not a failure of it; the loop counts the event as dropped.
            activity?.SetStatus(ActivityStatusCode.Error, "Cancelled by shutdown.");
            throw;
        }
        catch (Exception ex)
        {
            activity?.SetStatus(ActivityStatusCode.Error, ex.GetType().FullName);
            Failed(ex, evt);
        }
    }

    private void Failed(Exception exception, WebSocketEvent evt)
    {
        Interlocked.Increment(ref _errors);
        Log.ListenerFailed(_logger, exception, Id, Name, evt.EventType, evt.Sequence);
    }
}
