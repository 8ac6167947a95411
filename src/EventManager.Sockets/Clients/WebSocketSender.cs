using System.Buffers;
using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace EventManager.Sockets;

/// <summary>
/// Writes one client's frames, one at a time: each is built into the connection's buffer under the send lock and sent within the
/// send timeout; and sends its one close frame. Socket operations are never cancelled by the connection's lifetime, because
/// cancelling one aborts the socket and a close frame could no longer be sent; only waiting for the lock is.
/// </summary>
/// <remarks>
/// A frame is sent without a cancellation token, which lets the socket complete it without an allocation or a timer when there is
/// room in the transport, as there is for a client that keeps up. Only a send that has to wait arms the timeout, which aborts the
/// socket when it fires: per frame, arming a timer had cost more than writing it (benchmarks/README.md).
/// </remarks>
internal sealed class WebSocketSender : IDisposable
{
    private const int InitialBuffer = 4096;
    private const int MaxRetainedBuffer = 1024 * 1024;

    private readonly WebSocket _socket;
    private readonly FramedTransport? _transport;
    private readonly TimeProvider _time;
    private readonly TimeSpan _sendTimeout;
    private readonly TimeSpan _closeTimeout;
    private readonly CancellationToken _lifetime;
    private readonly Action _onSendTimeout;
    private readonly SemaphoreSlim _lock = new(1, 1);
    private readonly ITimer _sendTimer;

    // Under the lock.
    private ArrayBufferWriter<byte> _buffer = new(InitialBuffer);

    // Any thread: set once, by whoever starts closing first.
    private int _closing;

    // While a send waits with the timer armed: when it armed it (a timestamp of _time, plus one so that 0 means "not armed").
    // Whoever takes it back to 0 first decides: the send finishing, or the timer's callback finding that this very arming has
    // waited the whole timeout. So a callback that runs just as the send completes, or late, after an earlier send armed the
    // timer and this one re-armed it, cannot abort a healthy send; and one that runs a little early (timers count coarser time
    // than timestamps) arms the timer again for the rest instead of letting the timeout lapse.
    private long _armed;

    // Set by the send timer when it aborts the socket; read by the send it aborted.
    private int _timedOut;

    /// <param name="socket">The client's socket.</param>
    /// <param name="transport">
    /// The connection under <paramref name="socket"/> when this library accepted it, to write uncompressed frames to directly;
    /// <see langword="null"/> sends every frame through the socket.
    /// </param>
    /// <param name="options">The send and close timeouts.</param>
    /// <param name="time">The clock for the timeouts.</param>
    /// <param name="onSendTimeout">Called once when a send outlasts the send timeout, which aborts the socket.</param>
    /// <param name="lifetime">Cancelled when the connection closes; stops waiting for the lock.</param>
    public WebSocketSender(WebSocket socket, FramedTransport? transport, WebSocketBroadcasterOptions options, TimeProvider time, Action onSendTimeout, CancellationToken lifetime)
    {
        _onSendTimeout = onSendTimeout;
        _socket = socket;
        _transport = transport;
        _time = time;
        _sendTimeout = options.SendTimeout;
        _closeTimeout = options.CloseTimeout;
        _lifetime = lifetime;
        _sendTimer = time.CreateTimer(static sender => ((WebSocketSender)sender!).AbortStuckSend(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Builds a frame into a buffer the sender owns.</summary>
    public delegate void FrameBuilder<in TState>(ArrayBufferWriter<byte> buffer, TState state);

    /// <summary>Whether the connection is closing: no frame but the close frame is sent from now on.</summary>
    public bool IsClosing => Volatile.Read(ref _closing) != 0;

    /// <summary>Marks the connection closing; <see langword="true"/> for the first caller only.</summary>
    public bool TryStartClosing() => Interlocked.Exchange(ref _closing, 1) == 0;

    /// <summary>Builds a frame under the send lock and sends it. Returns its length, or -1 once the connection is closing or broken.</summary>
    /// <remarks>Pooled: a send that has to wait for the socket allocates nothing, as it does once per frame under load.</remarks>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<int> SendAsync<TState>(FrameBuilder<TState> build, TState state)
    {
        try
        {
            await _lock.WaitAsync(_lifetime).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
        {
            return -1;
        }

        try
        {
            // The socket refuses data once it has aborted or sent its close frame (after a protocol error, say); a frame written
            // to the transport directly has to be refused here.
            if (IsClosing || (_transport is not null && _socket.State is not (WebSocketState.Open or WebSocketState.CloseReceived)))
            {
                return -1;
            }

            _buffer.ResetWrittenCount();
            var headerRoom = _transport is null ? 0 : FramedTransport.HeaderRoom;
            _buffer.GetSpan(headerRoom);
            _buffer.Advance(headerRoom);
            build(_buffer, state);
            var length = _buffer.WrittenCount - headerRoom;
            var sending = _transport is { } transport
                ? transport.WriteTextFrameAsync(MemoryMarshal.AsMemory(_buffer.WrittenMemory))
                : _socket.SendAsync(_buffer.WrittenMemory, WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
            if (sending.IsCompleted)
            {
                sending.GetAwaiter().GetResult();
            }
            else
            {
                Volatile.Write(ref _armed, _time.GetTimestamp() + 1);
                _sendTimer.Change(_sendTimeout, Timeout.InfiniteTimeSpan);
                try
                {
                    await sending.ConfigureAwait(false);
                }
                finally
                {
                    Interlocked.Exchange(ref _armed, 0);
                    _sendTimer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
                }
            }

            if (Volatile.Read(ref _timedOut) != 0 || _transport is { IsDisposed: true })
            {
                // Aborted (by the timer, or by a close that could not wait), yet the transport reported the write done, as an
                // aborted HTTP connection does: it may never have reached the client.
                return -1;
            }

            if (_buffer.Capacity > MaxRetainedBuffer)
            {
                _buffer = new ArrayBufferWriter<byte>(InitialBuffer);
            }

            return length;
        }
        catch (Exception ex) when (Volatile.Read(ref _timedOut) != 0 && ex is WebSocketException or OperationCanceledException or ObjectDisposedException or IOException)
        {
            // The timer aborted the socket (and reported why): the client stopped reading for longer than the send timeout.
            return -1;
        }
        catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException or InvalidOperationException or IOException or OperationCanceledException)
        {
            // The connection broke: a socket wraps the transport's errors in WebSocketException; a frame written to the transport
            // directly meets them as they are (IOException, or OperationCanceledException from a connection Kestrel aborted).
            return -1;
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>
    /// Sends the close frame once any send in progress has finished, both within <see cref="WebSocketBroadcasterOptions.CloseTimeout"/>.
    /// Returns whether it went out; a send stuck on a client that does not read keeps it from going.
    /// </summary>
    public async Task<bool> SendCloseAsync(WebSocketCloseStatus status, string? reason)
    {
        try
        {
            if (!await _lock.WaitAsync(_closeTimeout).ConfigureAwait(false))
            {
                return false;
            }
        }
        catch (ObjectDisposedException)
        {
            return false;
        }

        try
        {
            using var timeout = new CancellationTokenSource(_closeTimeout, _time);
            await _socket.CloseOutputAsync(status, reason, timeout.Token).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
        {
            return false;
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>Called once the connection has ended; a close still finishing may release the lock, so it is left alone.</summary>
    public void Dispose()
    {
        TryStartClosing();
        _sendTimer.Dispose();
    }

    /// <summary>On the send timer: a send has waited for the client for the whole send timeout.</summary>
    private void AbortStuckSend()
    {
        var armed = Volatile.Read(ref _armed);
        if (armed == 0)
        {
            // The send finished first.
            return;
        }

        var waited = _time.GetElapsedTime(armed - 1);
        if (waited < _sendTimeout)
        {
            // Early, or late from an earlier arming: this send has not waited its timeout yet.
            _sendTimer.Change(_sendTimeout - waited, Timeout.InfiniteTimeSpan);
            return;
        }

        if (Interlocked.CompareExchange(ref _armed, 0, armed) != armed)
        {
            // The send finished, or another send armed the timer, meanwhile.
            return;
        }

        // Reported before the abort, which wakes others who would start closing for a reason of their own (an HTTP connection's
        // abort ends its request, which closes the client as going away).
        Interlocked.Exchange(ref _timedOut, 1);
        if (TryStartClosing())
        {
            _onSendTimeout();
        }

        _socket.Abort();
    }
}
