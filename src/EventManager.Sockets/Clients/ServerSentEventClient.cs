using System.Buffers;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;

namespace EventManager.Sockets;

/// <summary>
/// One Server-Sent Events client, written with .NET's <see cref="SseFormatter"/>: <c>session_stream_started</c> first, then each
/// event as <c>event: &lt;event_type&gt;</c>, <c>id: &lt;event_id&gt;</c>, <c>data: &lt;json&gt;</c>; <c>gap</c> events after drops;
/// keep-alive comments while idle.
/// </summary>
internal sealed class ServerSentEventClient : ClientConnection, IDisposable
{
    private static readonly byte[] KeepAlive = ": keep-alive\n\n"u8.ToArray();

    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _lifetime = new();

    public ServerSentEventClient(WebSocketBroadcaster broadcaster, ClientConnectionOptions options, SessionStats? session)
        : base(broadcaster, options, session)
    {
        _time = broadcaster.Manager.TimeProvider;
    }

    public async Task RunAsync(Stream destination, CancellationToken aborted)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(aborted, _lifetime.Token);
        var counting = new CountingStream(destination);
        try
        {
            await SseFormatter.WriteAsync(FramesAsync(counting, linked.Token), counting, Format, linked.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException)
        {
            // The client left, or the stream was closed from this side.
        }
        finally
        {
            Subscription.Dispose();
            TakeNewDrops(out _);
            Dispose();
        }
    }

    /// <summary>Called once <see cref="RunAsync"/> ends.</summary>
    public void Dispose() => _lifetime.Dispose();

    public override void BeginClose(int closeCode, string reason)
    {
        try
        {
            _lifetime.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Already ended.
        }
    }

    private static void Format(SseItem<SseFrame> item, IBufferWriter<byte> writer) =>
        writer.Write(item.Data.Event is { } evt ? evt.ToUtf8Json().Span : item.Data.Json);

    private async IAsyncEnumerable<SseItem<SseFrame>> FramesAsync(CountingStream destination, [EnumeratorCancellation] CancellationToken token)
    {
        yield return new SseItem<SseFrame>(new SseFrame(null, Frames.SessionStreamStarted(Id, Options.SessionId, _time.GetUtcNow())), "session_stream_started") { EventId = StartPosition };
        await CompleteResumeAsync(token).ConfigureAwait(false);
        if (Resume is { } resume)
        {
            yield return resume.Status == ResumeStatus.Unknown
                ? new SseItem<SseFrame>(new SseFrame(null, Frames.ErrorJson("unknown_event_id", $"no event '{resume.LastEventId}' in this stream; continuing with live events", "last_event_id")), "error")
                : new SseItem<SseFrame>(new SseFrame(null, Frames.ResumedJson(resume, Broadcaster.Epoch)), "resumed");
        }

        var heartbeat = Broadcaster.Options.HeartbeatInterval;
        Task<bool>? ready = null;
        while (true)
        {
            if (TryReadUnsent(out var evt))
            {
                var missed = TakeNewDrops(out var total);
                if (missed > 0)
                {
                    yield return new SseItem<SseFrame>(new SseFrame(null, Frames.GapJson(missed, total)), "gap");
                }

                CountSent(1, destination.TakeWritten());
                yield return new SseItem<SseFrame>(new SseFrame(evt, null), evt.EventType) { EventId = evt.EventId };
                continue;
            }

            // Idle: what the formatter wrote is still buffered, so send it before waiting.
            await destination.FlushAsync(token).ConfigureAwait(false);
            CountSent(0, destination.TakeWritten());
            ready ??= Subscription.WaitToReadAsync(token).AsTask();
            if (heartbeat != Timeout.InfiniteTimeSpan && !await ArrivesWithinAsync(ready, heartbeat, token).ConfigureAwait(false))
            {
                // Between items the formatter is not writing, so a comment can go straight to the stream.
                await destination.WriteAsync(KeepAlive, token).ConfigureAwait(false);
                await destination.FlushAsync(token).ConfigureAwait(false);
                continue;
            }

            var more = await ready.ConfigureAwait(false);
            ready = null;
            if (!more)
            {
                yield break;
            }
        }
    }

    private async Task<bool> ArrivesWithinAsync(Task<bool> ready, TimeSpan limit, CancellationToken token)
    {
        // The delay is cancelled when the event wins, so a busy stream does not leave a timer behind per event.
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(token);
        var delay = Task.Delay(limit, _time, wait.Token);
        var first = await Task.WhenAny(ready, delay).ConfigureAwait(false);
        await wait.CancelAsync().ConfigureAwait(false);
        return first == ready;
    }

    private readonly record struct SseFrame(WebSocketEvent? Event, byte[]? Json);

    /// <summary>Passes writes through and counts their bytes for the metrics.</summary>
    private sealed class CountingStream(Stream inner) : Stream
    {
        private long _written;

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public long TakeWritten() => Interlocked.Exchange(ref _written, 0);

        public override void Flush() => inner.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count)
        {
            inner.Write(buffer, offset, count);
            Interlocked.Add(ref _written, count);
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
            Interlocked.Add(ref _written, buffer.Length);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }
}
