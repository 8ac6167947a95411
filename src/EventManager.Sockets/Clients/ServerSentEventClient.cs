using System.Buffers;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;

namespace EventManager.Sockets;

/// <summary>
/// One Server-Sent Events client, written with .NET's <see cref="SseFormatter"/>: <c>session_stream_started</c> first, then each
/// event as <c>event: &lt;event_type&gt;</c>, <c>id: &lt;event_id&gt;</c>, <c>data: &lt;json&gt;</c>; <c>gap</c> events after drops;
/// keep-alive comments while idle.
/// </summary>
internal sealed class ServerSentEventClient : ISocketClient, IDisposable
{
    private static readonly byte[] KeepAlive = ": keep-alive\n\n"u8.ToArray();

    private readonly CancellationTokenSource _lifetime = new();
    private readonly ResumeCoordinator _resume;

    public ServerSentEventClient(WebSocketBroadcaster broadcaster, ClientConnectionOptions options, SessionStats? session)
    {
        Connection = new ClientConnection(broadcaster, options, session);
        _resume = new ResumeCoordinator(Connection, () => BeginClose(EventSocketCloseCodes.SlowConsumer, "send queue overflow"));
    }

    public ClientConnection Connection { get; }

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
            _resume.Dispose();
            Dispose();
        }
    }

    /// <summary>Called once <see cref="RunAsync"/> ends.</summary>
    public void Dispose() => _lifetime.Dispose();

    public void BeginClose(int closeCode, string reason)
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
        yield return new SseItem<SseFrame>(new SseFrame(null, Frames.SessionStreamStarted(Connection.Id, Connection.Options.SessionId, Connection.Time.GetUtcNow())), "session_stream_started") { EventId = _resume.StartPosition };
        await _resume.CompleteAsync(token).ConfigureAwait(false);
        if (_resume.Resume is not null)
        {
            var report = new ArrayBufferWriter<byte>(256);
            var reportType = _resume.WriteReport(report)!;
            yield return new SseItem<SseFrame>(new SseFrame(null, report.WrittenSpan.ToArray()), reportType);
        }

        var heartbeat = Connection.Broadcaster.Options.HeartbeatInterval;
        Task<bool>? ready = null;
        while (true)
        {
            if (_resume.TryReadUnsent(out var evt))
            {
                var missed = _resume.TakeNewDrops(out var total);
                if (_resume.ClosesOnOverflow(missed))
                {
                    yield break;
                }

                if (missed > 0)
                {
                    yield return new SseItem<SseFrame>(new SseFrame(null, Frames.GapJson(missed, total)), "gap");
                }

                Connection.CountSent(1, destination.TakeWritten());
                yield return new SseItem<SseFrame>(new SseFrame(evt, null), evt.EventType) { EventId = evt.EventId };
                continue;
            }

            // Idle: what the formatter wrote is still buffered, so send it before waiting.
            await destination.FlushAsync(token).ConfigureAwait(false);
            Connection.CountSent(0, destination.TakeWritten());
            ready ??= _resume.Subscription.WaitToReadAsync(token).AsTask();
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
        var delay = Task.Delay(limit, Connection.Time, wait.Token);
        var first = await Task.WhenAny(ready, delay).ConfigureAwait(false);
        await wait.CancelAsync().ConfigureAwait(false);
        return first == ready;
    }

    private readonly record struct SseFrame(WebSocketEvent? Event, byte[]? Json);
}
