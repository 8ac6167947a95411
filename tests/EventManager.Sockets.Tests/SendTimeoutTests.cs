using System.Buffers;
using System.Net.WebSockets;
using EventManager.Sockets;
using EventManager.Tests.Support;

namespace EventManager.Sockets.Tests;

/// <summary>
/// The send timeout's timer against a late callback: .NET's WebSocket over a stream whose writes wait for the test, so a send
/// waits exactly when the test says, and a clock whose timer callback the test runs when it chooses, as a thread-pool timer
/// that fired just before it was re-armed would.
/// </summary>
public sealed class SendTimeoutTests
{
    [Test]
    public async Task SendAsync_TimerCallbackFromTheSendBeforeRunsDuringTheNext_DoesNotAbortTheSocket([Values] bool framed)
    {
        var (time, transport, socket, sender, timedOut) = Sender(framed);
        using var _ = socket;
        using var __ = sender;

        transport.Hold();
        var first = sender.SendAsync(static (buffer, _) => buffer.Write("{\"n\":1}"u8), 0);
        Assert.That(first.IsCompleted, Is.False, "the first send waits, with the timer armed");
        time.Advance(TimeSpan.FromSeconds(5));
        transport.Release();
        Assert.That(await Eventually.Within(first.AsTask(), "the first send ends"), Is.GreaterThan(0));

        transport.Hold();
        var second = sender.SendAsync(static (buffer, _) => buffer.Write("{\"n\":2}"u8), 0);
        time.RunCallback();
        transport.Release();

        Assert.Multiple(async () =>
        {
            Assert.That(await Eventually.Within(second.AsTask(), "the second send ends"), Is.GreaterThan(0), "the second send went out");
            Assert.That(socket.State, Is.EqualTo(WebSocketState.Open));
            Assert.That(timedOut.Count, Is.Zero);
        });
    }

    [Test]
    public async Task SendAsync_WaitingForTheWholeSendTimeout_AbortsTheSocket([Values] bool framed)
    {
        var (time, transport, socket, sender, timedOut) = Sender(framed);
        using var _ = socket;
        using var __ = sender;

        transport.Hold();
        var send = sender.SendAsync(static (buffer, _) => buffer.Write("{\"n\":1}"u8), 0);
        time.Advance(TimeSpan.FromSeconds(5));
        time.RunCallback();
        transport.Release();

        Assert.Multiple(async () =>
        {
            Assert.That(await Eventually.Within(send.AsTask(), "the send ends"), Is.EqualTo(-1));
            Assert.That(timedOut.Count, Is.EqualTo(1));
        });
    }

    [Test]
    public async Task SendAsync_TimerCallbackATickEarly_ArmsAgainForTheRestAndThenAborts([Values] bool framed)
    {
        var (time, transport, socket, sender, timedOut) = Sender(framed);
        using var _ = socket;
        using var __ = sender;

        transport.Hold();
        var send = sender.SendAsync(static (buffer, _) => buffer.Write("{\"n\":1}"u8), 0);
        time.Advance(TimeSpan.FromSeconds(5) - TimeSpan.FromTicks(1));
        time.RunCallback();
        var stillOpen = socket.State;
        var armedAgainFor = time.LastDue;
        time.Advance(TimeSpan.FromTicks(1));
        time.RunCallback();
        transport.Release();

        Assert.Multiple(async () =>
        {
            Assert.That(stillOpen, Is.EqualTo(WebSocketState.Open), "a tick early is not the timeout");
            Assert.That(armedAgainFor, Is.EqualTo(TimeSpan.FromTicks(1)), "the timer is armed again for the rest");
            Assert.That(await Eventually.Within(send.AsTask(), "the send ends"), Is.EqualTo(-1));
            Assert.That(timedOut.Count, Is.EqualTo(1));
        });
    }

    /// <summary>
    /// A sender with a 5-second send timeout over a gated stream, on a clock whose timer the test runs; <paramref name="framed"/>
    /// writes its frames to the stream itself, as for a socket the endpoint accepted, instead of through the socket.
    /// </summary>
    private static (HeldTimerTimeProvider Time, GatedStream Transport, WebSocket Socket, WebSocketSender Sender, TimeoutCount TimedOut) Sender(bool framed)
    {
        var time = new HeldTimerTimeProvider();
        var transport = new GatedStream();
        var (socket, framedTransport) = framed
            ? FramedTransport.CreateServerSocket(transport, static () => { }, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan)
            : (WebSocket.CreateFromStream(transport, new WebSocketCreationOptions { IsServer = true, KeepAliveInterval = Timeout.InfiniteTimeSpan }), null);
        var timedOut = new TimeoutCount();
        var sender = new WebSocketSender(socket, framedTransport, new WebSocketBroadcasterOptions { SendTimeout = TimeSpan.FromSeconds(5) }, time, () => timedOut.Count++, CancellationToken.None);
        return (time, transport, socket, sender, timedOut);
    }

    /// <summary>How many times the sender reported a send timeout.</summary>
    private sealed class TimeoutCount
    {
        public int Count { get; set; }
    }

    /// <summary>A stream whose writes wait while held, and fail once it is disposed; reads wait for ever (nothing is received).</summary>
    private sealed class GatedStream : NonSeekableStream
    {
        private readonly TaskCompletionSource _nothingArrives = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private TaskCompletionSource _open = Opened();

        public override bool CanRead => true;

        public override bool CanWrite => true;

        public void Hold() => _open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Release() => _open.TrySetResult();

        /// <summary>As a network stream does when the socket is aborted: a write still waiting fails.</summary>
        protected override void Dispose(bool disposing)
        {
            _open.TrySetException(new ObjectDisposedException(nameof(GatedStream)));
            base.Dispose(disposing);
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
            await _open.Task.WaitAsync(cancellationToken);

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        // Nothing is ever received: a read ends only when the socket cancels it.
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await _nothingArrives.Task.WaitAsync(cancellationToken);
            return 0;
        }

        public override void Flush()
        {
        }

        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        private static TaskCompletionSource Opened()
        {
            var open = new TaskCompletionSource();
            open.SetResult();
            return open;
        }
    }

    /// <summary>A clock moved by the test, with one timer whose callback runs only when the test calls <see cref="RunCallback"/>.</summary>
    private sealed class HeldTimerTimeProvider : TimeProvider
    {
        private long _ticks;
        private (TimerCallback Callback, object? State)? _timer;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => Interlocked.Read(ref _ticks);

        /// <summary>What the timer was last set to.</summary>
        public TimeSpan LastDue { get; private set; }

        public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);

        public void RunCallback() => _timer!.Value.Callback(_timer.Value.State);

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            _timer = (callback, state);
            return new Timer(this);
        }

        private sealed class Timer(HeldTimerTimeProvider owner) : ITimer
        {
            public bool Change(TimeSpan dueTime, TimeSpan period)
            {
                owner.LastDue = dueTime;
                return true;
            }

            public void Dispose()
            {
            }

            public ValueTask DisposeAsync() => ValueTask.CompletedTask;
        }
    }
}
