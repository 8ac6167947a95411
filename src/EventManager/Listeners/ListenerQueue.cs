using System.Diagnostics.CodeAnalysis;
using System.Runtime.ExceptionServices;
using System.Threading.Tasks.Sources;

namespace EventManager.Listeners;

/// <summary>
/// A listener's bounded queue: one writer (the dispatcher) and one reader at a time, with <see cref="OverflowPolicy"/> applied
/// when it is full. Unlike a bounded <see cref="System.Threading.Channels.Channel{T}"/>, a pull reader can take many events under
/// one acquisition of the lock (<see cref="TryReadMany"/>), so with many socket clients their send loops meet the dispatcher,
/// which writes one event at a time, on each queue's lock once per frame rather than once per event.
/// </summary>
/// <remarks>
/// The lock guards the ring, the waits and the reader's cancellation registration. Waits are completed under it, which only
/// queues their continuations: every awaiter of this queue uses <c>ConfigureAwait(false)</c>, so they run on the thread pool,
/// never inside the dispatcher's write, and a wait cannot be armed again while it is being completed. Storage grows by
/// doubling as the queue fills, up to the capacity, and is kept until the listener goes.
/// </remarks>
internal sealed class ListenerQueue : IValueTaskSource<bool>
{
    private const int InitialStorage = 16;

    private readonly Lock _lock = new();
    private readonly int _capacity;
    private readonly OverflowPolicy _policy;

    // Under _lock. The ring: _count events from _head, wrapping at the end of _items.
    private WebSocketEvent?[] _items;
    private int _head;
    private int _count;
    private bool _completed;

    // Under _lock. The reader's wait, reused from one wait to the next; whoever clears _readerWaiting completes _reader.
    private ManualResetValueTaskSourceCore<bool> _reader = new() { RunContinuationsAsynchronously = true };
    private bool _readerWaiting;
    private CancellationToken _readerToken;

    // Under _lock: the registration of the reader's wait's token, taken out under the lock and disposed outside it (its
    // callback takes the lock) when the wait's result is asked for or, for a wait given up on, before the next is armed.
    private CancellationTokenRegistration _readerRegistration;

    // Under _lock. Waits begun while the reader's own wait was still pending (a consumer that stopped waiting on a wait without
    // cancelling it, and waits again): they share one task, so abandoned waits cannot pile up.
    private TaskCompletionSource<bool>? _laterWaits;

    // The writer's wait for room (OverflowPolicy.Wait only), under _lock; rare enough to allocate.
    private TaskCompletionSource? _roomWaiter;

    /// <summary>Creates an empty queue.</summary>
    /// <param name="capacity">How many events it holds.</param>
    /// <param name="policy">What a write to a full queue does.</param>
    public ListenerQueue(int capacity, OverflowPolicy policy)
    {
        _capacity = capacity;
        _policy = policy;
        _items = new WebSocketEvent?[Math.Min(capacity, InitialStorage)];
    }

    /// <summary>Events queued now; read without the lock, so a moment old.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>
    /// On the writer: queues <paramref name="events"/> in order. A full drop-policy queue drops its oldest or the newest one
    /// for each event over; a full <see cref="OverflowPolicy.Wait"/> queue stops there. A completed queue takes everything and
    /// keeps nothing, without counting it as dropped: the listener is gone.
    /// </summary>
    /// <param name="events">The events, oldest first.</param>
    /// <param name="dropped">How many events the overflow policy dropped, for the caller to report outside the lock.</param>
    /// <returns>How many of <paramref name="events"/> were taken; fewer than all only for a full Wait queue.</returns>
    public int Write(ReadOnlySpan<WebSocketEvent> events, out int dropped)
    {
        dropped = 0;
        var taken = 0;
        lock (_lock)
        {
            if (_completed)
            {
                return events.Length;
            }

            for (; taken < events.Length; taken++)
            {
                if (_count == _capacity)
                {
                    if (_policy == OverflowPolicy.Wait)
                    {
                        break;
                    }

                    dropped++;
                    if (_policy == OverflowPolicy.DropNewest)
                    {
                        continue;
                    }

                    _items[_head] = null;
                    _head = Next(_head);
                    _count--;
                }

                Append(events[taken]);
            }

            if (_count > 0)
            {
                WakeReaders(true);
            }
        }

        return taken;
    }

    /// <summary>
    /// On the writer of a <see cref="OverflowPolicy.Wait"/> queue: waits until there is room or the queue is completed.
    /// </summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>A task that completes when a write may go on.</returns>
    public Task WaitForRoomAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (_completed || _count < _capacity)
            {
                return Task.CompletedTask;
            }

            _roomWaiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _roomWaiter.Task.WaitAsync(cancellationToken);
        }
    }

    /// <summary>On the reader: takes the oldest event, if any.</summary>
    /// <param name="evt">The event.</param>
    /// <returns>Whether one was taken.</returns>
    public bool TryRead([MaybeNullWhen(false)] out WebSocketEvent evt)
    {
        evt = null;
        return TryReadMany(new Span<WebSocketEvent>(ref evt!)) == 1;
    }

    /// <summary>On the reader: takes as many of the oldest events as fit in <paramref name="destination"/>.</summary>
    /// <param name="destination">Where the events go, oldest first.</param>
    /// <returns>How many were taken.</returns>
    public int TryReadMany(Span<WebSocketEvent> destination)
    {
        TaskCompletionSource? room = null;
        int read;
        lock (_lock)
        {
            read = Math.Min(destination.Length, _count);
            for (var i = 0; i < read; i++)
            {
                destination[i] = _items[_head]!;
                _items[_head] = null;
                _head = Next(_head);
            }

            _count -= read;
            if (read > 0 && _roomWaiter is not null)
            {
                (room, _roomWaiter) = (_roomWaiter, null);
            }
        }

        room?.TrySetResult();
        return read;
    }

    /// <summary>Takes every queued event and lets go of it.</summary>
    /// <returns>How many there were.</returns>
    public int Clear()
    {
        TaskCompletionSource? room;
        int cleared;
        lock (_lock)
        {
            cleared = _count;
            Array.Clear(_items);
            (_head, _count) = (0, 0);
            (room, _roomWaiter) = (_roomWaiter, null);
        }

        room?.TrySetResult();
        return cleared;
    }

    /// <summary>
    /// On the reader: waits until an event is queued (<see langword="true"/>) or the queue is completed and empty
    /// (<see langword="false"/>). Waiting with a token that cannot be cancelled allocates nothing, unless a wait is begun while
    /// another is still pending (one given up on): the later ones share a task.
    /// </summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>Whether an event may be read.</returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<bool>(cancellationToken);
        }

        CancellationTokenRegistration stale;
        lock (_lock)
        {
            if (TryAnswerLocked(cancellationToken, out var answer))
            {
                return answer;
            }

            // The reader's own wait is over, but one whose result was never asked for (given up on) leaves its registration
            // behind: its token must not cancel the wait armed next.
            (stale, _readerRegistration) = (_readerRegistration, default);
        }

        stale.Dispose();
        short version;
        lock (_lock)
        {
            if (TryAnswerLocked(cancellationToken, out var answer))
            {
                return answer;
            }

            _reader.Reset();
            _readerWaiting = true;
            _readerToken = cancellationToken;
            version = _reader.Version;
        }

        if (cancellationToken.CanBeCanceled)
        {
            // Registered outside the lock: a token cancelled meanwhile runs the callback here, and it takes the lock. Kept
            // only while this wait is pending; a callback for another wait's token does nothing (CancelRead).
            var registration = cancellationToken.UnsafeRegister(static (s, token) => ((ListenerQueue)s!).CancelRead(token), this);
            lock (_lock)
            {
                if (_readerWaiting && _reader.Version == version)
                {
                    (registration, _readerRegistration) = (default, registration);
                }
            }

            registration.Dispose();
        }

        return new ValueTask<bool>(this, version);
    }

    /// <summary>No more events will be written; a waiting reader or writer is woken. Returns whether this call completed it.</summary>
    public bool Complete()
    {
        TaskCompletionSource? room;
        lock (_lock)
        {
            if (_completed)
            {
                return false;
            }

            _completed = true;
            WakeReaders(_count > 0);
            (room, _roomWaiter) = (_roomWaiter, null);
        }

        room?.TrySetResult();
        return true;
    }

    bool IValueTaskSource<bool>.GetResult(short token)
    {
        // The wait is over: its registration goes, disposed outside the lock (disposing waits for a callback under way, which
        // takes the lock and then finds nothing to cancel). Under the lock, a result asked for late, with a wait's token after
        // the next wait was armed, is refused rather than read from a core being reset.
        CancellationTokenRegistration registration;
        bool result;
        ExceptionDispatchInfo? failure = null;
        lock (_lock)
        {
            if (token != _reader.Version)
            {
                throw new InvalidOperationException("This wait is over; a ValueTask can be awaited only once.");
            }

            (registration, _readerRegistration) = (_readerRegistration, default);
            try
            {
                result = _reader.GetResult(token);
            }
            catch (OperationCanceledException ex)
            {
                (result, failure) = (false, ExceptionDispatchInfo.Capture(ex));
            }
        }

        registration.Dispose();
        failure?.Throw();
        return result;
    }

    ValueTaskSourceStatus IValueTaskSource<bool>.GetStatus(short token) => _reader.GetStatus(token);

    void IValueTaskSource<bool>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _reader.OnCompleted(continuation, state, token, flags);

    private void CancelRead(CancellationToken token)
    {
        lock (_lock)
        {
            if (_readerWaiting && _readerToken == token)
            {
                _readerWaiting = false;
                _reader.SetException(new OperationCanceledException(_readerToken));
            }
        }
    }

    /// <summary>
    /// Under the lock: answers a wait without arming the reader's own: at once when an event is queued or the queue is
    /// completed, or with the task shared by later waits while the reader's own is still pending.
    /// </summary>
    private bool TryAnswerLocked(CancellationToken cancellationToken, out ValueTask<bool> answer)
    {
        if (_count > 0 || _completed)
        {
            answer = new ValueTask<bool>(_count > 0);
            return true;
        }

        if (_readerWaiting)
        {
            _laterWaits ??= new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            answer = new ValueTask<bool>(_laterWaits.Task.WaitAsync(cancellationToken));
            return true;
        }

        answer = default;
        return false;
    }

    /// <summary>Under the lock: completes every wait with <paramref name="result"/>.</summary>
    private void WakeReaders(bool result)
    {
        if (_readerWaiting)
        {
            _readerWaiting = false;
            _reader.SetResult(result);
        }

        if (_laterWaits is { } later)
        {
            _laterWaits = null;
            later.SetResult(result);
        }
    }

    /// <summary>Under the lock, with room: adds one event at the tail, growing the storage when it is full.</summary>
    private void Append(WebSocketEvent evt)
    {
        if (_count == _items.Length)
        {
            var larger = new WebSocketEvent?[(int)Math.Min((long)_items.Length * 2, _capacity)];
            var firstPart = _items.Length - _head;
            Array.Copy(_items, _head, larger, 0, firstPart);
            Array.Copy(_items, 0, larger, firstPart, _head);
            (_items, _head) = (larger, 0);
        }

        var tail = _head + _count;
        _items[tail < _items.Length ? tail : tail - _items.Length] = evt;
        _count++;
    }

    private int Next(int index) => index + 1 == _items.Length ? 0 : index + 1;
}
