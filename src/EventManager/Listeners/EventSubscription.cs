using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using EventManager.Listeners;

namespace EventManager;

/// <summary>
/// A pull listener from <see cref="WebSocketEventManager.Subscribe(ListenerOptions?, string?)"/>: a bounded queue of the events dispatched since it was
/// created, read like a <see cref="System.Threading.Channels.ChannelReader{T}"/> by one consumer at a time. It has a listener's
/// options, filters, counters and metrics. Socket connections and the Redis mirror are built on it.
/// </summary>
public sealed class EventSubscription : IAsyncDisposable, IDisposable
{
    private readonly WebSocketEventManager _manager;
    private readonly Listener _listener;
    private readonly CancellationToken _managerAborted;

    // Events replayed from the history, read before the listener's queue; only the consumer moves _replayed forward.
    private readonly List<WebSocketEvent> _replay;
    private int _replayed;
    private int _disposed;

    internal EventSubscription(WebSocketEventManager manager, Listener listener, ResumeResult resume, List<WebSocketEvent> replay, string? position, CancellationToken managerAborted)
    {
        _manager = manager;
        _listener = listener;
        _managerAborted = managerAborted;
        _replay = replay;
        Resume = resume;
        Position = position;
    }

    /// <summary>Whether the subscription resumed after the event it was asked to, and how many events it replayed.</summary>
    public ResumeResult Resume { get; }

    /// <summary>
    /// Where the subscription started, as an id to pass to <see cref="WebSocketEventManager.Subscribe(ListenerOptions?, string?)"/>
    /// later: the event it resumed after, when it did; otherwise the newest event dispatched before it began, or the manager's
    /// <see cref="WebSocketEventManager.Epoch"/> when no event had been dispatched yet. A consumer that has read nothing can
    /// resume from it without losing what was published in between. <see langword="null"/> when the history is off.
    /// </summary>
    public string? Position { get; }

    /// <summary>The listener id, as in <see cref="ListenerMetrics.Id"/>; <see cref="WebSocketEventManager.RemoveListener"/> ends the subscription too.</summary>
    public long Id => _listener.Id;

    /// <summary>Events the queue's overflow policy dropped so far, and events still queued when the subscription ended.</summary>
    public long Dropped => _listener.Dropped;

    /// <summary>Events waiting to be read: replayed ones not read yet and the queue's.</summary>
    public int Pending => _replay.Count - Volatile.Read(ref _replayed) + _listener.Pending;

    /// <summary>
    /// Waits until an event can be read. Returns <see langword="false"/> once the subscription has ended: disposed, removed, or the
    /// manager disposed and this queue drained.
    /// </summary>
    /// <param name="cancellationToken">Stops waiting; the subscription itself goes on.</param>
    /// <returns>Whether an event may be read.</returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default)
    {
        if (Volatile.Read(ref _replayed) < _replay.Count && !_managerAborted.IsCancellationRequested)
        {
            return true;
        }

        if (await _listener.WaitToTakeAsync(cancellationToken).ConfigureAwait(false)
            && !_listener.IsRemoved && !_managerAborted.IsCancellationRequested)
        {
            return true;
        }

        // The end is seen: let a disposing manager stop waiting for this consumer.
        EndPull();
        return false;
    }

    /// <summary>Takes the next event if one is queued.</summary>
    /// <param name="evt">The event.</param>
    /// <returns>Whether an event was taken; <see langword="false"/> also once the subscription has ended.</returns>
    public bool TryRead([MaybeNullWhen(false)] out WebSocketEvent evt)
    {
        evt = null;
        return TryReadMany(new Span<WebSocketEvent>(ref evt!)) == 1;
    }

    /// <summary>
    /// Takes as many events as are queued, up to the length of <paramref name="destination"/>, without waiting: one acquisition
    /// of the queue's lock for them all, where <see cref="TryRead"/> takes it once per event.
    /// </summary>
    /// <param name="destination">Where the events go, oldest first.</param>
    /// <returns>How many were taken; 0 also once the subscription has ended.</returns>
    public int TryReadMany(Span<WebSocketEvent> destination)
    {
        // Slots are claimed before they are read: Dispose, on another thread, may claim all that are left at any moment.
        var next = Volatile.Read(ref _replayed);
        while (next < _replay.Count && !destination.IsEmpty && !_managerAborted.IsCancellationRequested)
        {
            var claim = Math.Min(destination.Length, _replay.Count - next);
            var seen = Interlocked.CompareExchange(ref _replayed, next + claim, next);
            if (seen == next)
            {
                CollectionsMarshal.AsSpan(_replay).Slice(next, claim).CopyTo(destination);
                return claim + (claim < destination.Length ? _listener.TryTake(destination[claim..], _managerAborted) : 0);
            }

            next = seen;
        }

        return _listener.TryTake(destination, _managerAborted);
    }

    /// <summary>Takes a snapshot of the listener's counters.</summary>
    /// <returns>The snapshot.</returns>
    public ListenerMetrics GetMetrics() => _listener.Snapshot();

    /// <summary>Removes the listener. Events still queued are counted as dropped. Calling it again does nothing.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _manager.RemoveListener(_listener.Id);
        EndPull();
    }

    private void EndPull()
    {
        var read = Interlocked.Exchange(ref _replayed, _replay.Count);
        _listener.EndPull(_replay.Count - read);
    }

    /// <summary>Removes the listener, as <see cref="Dispose"/> does.</summary>
    /// <returns>A completed task.</returns>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}
