using System.Buffers;
using System.Net.WebSockets;
using System.Text.Json;
using EventManager.Diagnostics;
using EventManager.Serialization;
using Microsoft.Extensions.Logging;

namespace EventManager.Sockets;

/// <summary>
/// One WebSocket client: a receive loop that answers the client's frames, a send loop that batches its events, and timers for
/// heartbeats and metrics. Sends are serialised by a lock; socket operations are never cancelled by the connection's lifetime,
/// because cancelling one aborts the socket and a close frame could no longer be sent.
/// </summary>
internal sealed class WebSocketClient : ClientConnection, IDisposable
{
    private const int ReceiveChunk = 4096;
    private const int MaxRetainedBuffer = 1024 * 1024;

    private readonly WebSocket _socket;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly CancellationTokenSource _lifetime = new();
    private readonly TaskCompletionSource _receiveEnded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ArrayBufferWriter<byte> _buffer = new(4096);
    private CancellationTokenSource _sendTimeout;
    private double _frameTokens;
    private long _lastRefill;
    private int _closing;
    private ResumeRequest? _pendingResume;
    private TaskCompletionSource _resumeSignal = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _firstSentSequence;
    private long _lastSentSequence;
    private long _skipFrom;
    private long _skipTo;

    public WebSocketClient(WebSocketBroadcaster broadcaster, WebSocket socket, ClientConnectionOptions options, SessionStats? session, ILogger logger)
        : base(broadcaster, options, session)
    {
        _socket = socket;
        _logger = logger;
        _time = broadcaster.Manager.TimeProvider;
        _sendTimeout = new CancellationTokenSource(Timeout.InfiniteTimeSpan, _time);
        _frameTokens = broadcaster.Options.MaxFramesPerSecond;
        _lastRefill = _time.GetTimestamp();
    }

    /// <summary>How the connection ended, for the log.</summary>
    public int? CloseCode { get; private set; }

    public async Task RunAsync()
    {
        var connected = await SendControlAsync(static (buffer, client) => Frames.Connected(buffer, client.Id, client.Broadcaster.Epoch, client.StartPosition, client.Options, client.Broadcaster.Options.HeartbeatInterval, client._time.GetUtcNow()), this).ConfigureAwait(false)
            && await ResumeFromSharedHistoryAsync().ConfigureAwait(false)
            && await ReportResumeAsync().ConfigureAwait(false);
        var sending = connected ? SendEventsAsync() : Task.CompletedTask;
        var heartbeats = connected ? RepeatAsync(Broadcaster.Options.HeartbeatInterval, static (buffer, client) => Frames.Control(buffer, "heartbeat", client._time.GetUtcNow())) : Task.CompletedTask;
        var metrics = connected && Options.MetricsInterval > TimeSpan.Zero
            ? RepeatAsync(Options.MetricsInterval, static (buffer, client) => Frames.MetricsUpdate(buffer, client.Broadcaster.GetMetrics(), client.Broadcaster.Manager.GetMetrics(), client._time.GetUtcNow()))
            : Task.CompletedTask;
        try
        {
            if (connected)
            {
                await ReceiveAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            _receiveEnded.TrySetResult();
            await _lifetime.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(sending, heartbeats, metrics).ConfigureAwait(false);
            if (_socket.State != WebSocketState.Closed)
            {
                _socket.Abort();
            }

            Subscription.Dispose();
            TakeNewDrops(out _);
            Dispose();
        }
    }

    /// <summary>Called once <see cref="RunAsync"/> ends; a close asked for later does nothing.</summary>
    public void Dispose()
    {
        Interlocked.Exchange(ref _closing, 1);
        _sendTimeout.Dispose();
        _lifetime.Dispose();

        // _sendLock is left alone: a close still finishing may release it, and a SemaphoreSlim whose wait handle was never
        // asked for holds nothing to free.
    }

    public override void BeginClose(int closeCode, string reason)
    {
        if (Interlocked.Exchange(ref _closing, 1) != 0)
        {
            return;
        }

        CloseCode = closeCode;
        _ = CloseAsync(closeCode, reason);
    }

    /// <summary>Waits until the client is gone, for callers that asked it to close.</summary>
    public Task Ended => _receiveEnded.Task;

    private async Task CloseAsync(int closeCode, string reason)
    {
        try
        {
            await CloseCoreAsync(closeCode, reason).ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
            // The connection ended while closing.
        }
    }

    private async Task CloseCoreAsync(int closeCode, string reason)
    {
        await _lifetime.CancelAsync().ConfigureAwait(false);
        var closeTimeout = Broadcaster.Options.CloseTimeout;
        if (await _sendLock.WaitAsync(closeTimeout).ConfigureAwait(false))
        {
            try
            {
                using var timeout = new CancellationTokenSource(closeTimeout, _time);
                await _socket.CloseOutputAsync((WebSocketCloseStatus)closeCode, reason, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
            {
                _socket.Abort();
            }
            finally
            {
                _sendLock.Release();
            }
        }
        else
        {
            // A send is stuck on a client that does not read; no close frame can get past it.
            _socket.Abort();
        }

        // The receive loop ends when the client answers the close frame; one that never does is cut off.
        if (await Task.WhenAny(_receiveEnded.Task, Task.Delay(closeTimeout, _time)).ConfigureAwait(false) != _receiveEnded.Task)
        {
            _socket.Abort();
        }
    }

    private async Task ReceiveAsync()
    {
        var chunk = ArrayPool<byte>.Shared.Rent(ReceiveChunk);
        ArrayBufferWriter<byte>? message = null;
        var length = 0;
        try
        {
            while (true)
            {
                ValueWebSocketReceiveResult result;
                try
                {
                    result = await _socket.ReceiveAsync(chunk.AsMemory(), CancellationToken.None).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
                {
                    return;
                }

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    await AnswerCloseAsync().ConfigureAwait(false);
                    return;
                }

                if (Volatile.Read(ref _closing) != 0)
                {
                    continue;
                }

                if (result.MessageType == WebSocketMessageType.Binary)
                {
                    Violation(EventSocketCloseCodes.UnsupportedData, "binary frames are not supported; send JSON text");
                    continue;
                }

                length += result.Count;
                if (length > Broadcaster.Options.MaxFrameBytes)
                {
                    Violation(EventSocketCloseCodes.MessageTooBig, $"frames are limited to {Broadcaster.Options.MaxFrameBytes} bytes");
                    continue;
                }

                ReadOnlyMemory<byte> frame;
                if (result.EndOfMessage && message is null)
                {
                    frame = chunk.AsMemory(0, result.Count);
                }
                else
                {
                    message ??= new ArrayBufferWriter<byte>(ReceiveChunk * 2);
                    message.Write(chunk.AsSpan(0, result.Count));
                    if (!result.EndOfMessage)
                    {
                        continue;
                    }

                    frame = message.WrittenMemory;
                }

                if (!TakeFrameToken())
                {
                    await SendErrorAsync("rate_limited", $"more than {Broadcaster.Options.MaxFramesPerSecond} frames per second").ConfigureAwait(false);
                    Violation(EventSocketCloseCodes.PolicyViolation, "rate limit exceeded");
                    continue;
                }

                await HandleFrameAsync(frame).ConfigureAwait(false);
                message = null;
                length = 0;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }

    private async Task AnswerCloseAsync()
    {
        if (Interlocked.Exchange(ref _closing, 1) != 0)
        {
            return;
        }

        CloseCode = (int?)_socket.CloseStatus ?? EventSocketCloseCodes.Normal;
        await _lifetime.CancelAsync().ConfigureAwait(false);
        if (await _sendLock.WaitAsync(Broadcaster.Options.CloseTimeout).ConfigureAwait(false))
        {
            try
            {
                using var timeout = new CancellationTokenSource(Broadcaster.Options.CloseTimeout, _time);
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
            {
                // The client left without waiting for the answer.
            }
            finally
            {
                _sendLock.Release();
            }
        }
    }

    private void Violation(int closeCode, string reason)
    {
        Broadcaster.CountProtocolError();
        Log.ClientViolation(_logger, Id, closeCode, reason);
        BeginClose(closeCode, reason);
    }

    private async Task HandleFrameAsync(ReadOnlyMemory<byte> frame)
    {
        if (JsonText.FindUnreadable(frame.Span) is { } unreadable)
        {
            await SendErrorAsync("invalid_json", "the frame is not valid JSON: " + unreadable).ConfigureAwait(false);
            return;
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(frame);
        }
        catch (JsonException ex)
        {
            await SendErrorAsync("invalid_json", "the frame is not valid JSON: " + ex.Message).ConfigureAwait(false);
            return;
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                await SendErrorAsync("invalid_frame", "a frame is a JSON object with a \"type\"").ConfigureAwait(false);
                return;
            }

            if (!root.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
            {
                await SendErrorAsync("invalid_field", "\"type\" must be a string", "type").ConfigureAwait(false);
                return;
            }

            switch (type.GetString())
            {
                case "ping":
                    await SendControlAsync(static (buffer, client) => Frames.Control(buffer, "pong", client._time.GetUtcNow()), this).ConfigureAwait(false);
                    break;
                case "subscribe":
                    await SubscribeAsync(root, replace: true).ConfigureAwait(false);
                    break;
                case "unsubscribe":
                    await SubscribeAsync(root, replace: false).ConfigureAwait(false);
                    break;
                case "resume":
                    await RequestResumeAsync(root).ConfigureAwait(false);
                    break;
                default:
                    await SendErrorAsync("unknown_type", $"unknown frame type '{type.GetString()}'; expected ping, subscribe, unsubscribe or resume", "type").ConfigureAwait(false);
                    break;
            }
        }
    }

    /// <summary><c>subscribe</c> replaces the event types; <c>unsubscribe</c> removes the ones it names, or all of them.</summary>
    private async Task SubscribeAsync(JsonElement root, bool replace)
    {
        List<string>? named = null;
        if (root.TryGetProperty("payload", out var payload) && payload.ValueKind != JsonValueKind.Null)
        {
            if (payload.ValueKind != JsonValueKind.Object)
            {
                await SendErrorAsync("invalid_field", "\"payload\" must be an object", "payload").ConfigureAwait(false);
                return;
            }

            if (payload.TryGetProperty("event_types", out var types) && types.ValueKind != JsonValueKind.Null)
            {
                if (types.ValueKind != JsonValueKind.Array)
                {
                    await SendErrorAsync("invalid_field", "\"event_types\" must be an array of strings", "payload.event_types").ConfigureAwait(false);
                    return;
                }

                named = [];
                var index = 0;
                foreach (var item in types.EnumerateArray())
                {
                    if (item.ValueKind != JsonValueKind.String)
                    {
                        await SendErrorAsync("invalid_field", "event types are strings", $"payload.event_types[{index}]").ConfigureAwait(false);
                        return;
                    }

                    named.Add(item.GetString()!);
                    index++;
                }
            }
        }

        if (replace && named is null)
        {
            await SendErrorAsync("invalid_field", "subscribe needs payload.event_types", "payload.event_types").ConfigureAwait(false);
            return;
        }

        var current = Filter;
        IReadOnlyList<string>? next = replace ? named
            : named is null ? []
            : (current.EventTypes ?? ["*"]).Where(t => !named.Contains(t, StringComparer.Ordinal)).ToList();
        try
        {
            Filter = current.WithEventTypes(next);
        }
        catch (ArgumentException ex)
        {
            await SendErrorAsync("invalid_field", ex.Message.Split(" (Parameter")[0], "payload.event_types").ConfigureAwait(false);
            return;
        }

        await SendControlAsync(static (buffer, client) => Frames.Subscribed(buffer, client.Filter.EventTypes), this).ConfigureAwait(false);
    }

    /// <summary>
    /// Hands a <c>resume</c> to the send loop, which owns the subscription. Events already sent on this connection are not
    /// sent again; missed ones older than them follow them (docs/protocol.md).
    /// </summary>
    private async Task RequestResumeAsync(JsonElement root)
    {
        string? lastEventId = null, epoch = null;
        if (root.TryGetProperty("payload", out var payload) && payload.ValueKind == JsonValueKind.Object)
        {
            if (payload.TryGetProperty("last_event_id", out var id) && id.ValueKind == JsonValueKind.String)
            {
                lastEventId = id.GetString();
            }

            if (payload.TryGetProperty("epoch", out var given) && given.ValueKind == JsonValueKind.String)
            {
                epoch = given.GetString();
            }
        }

        if (!ClientConnectionOptions.IsEventId(lastEventId))
        {
            await SendErrorAsync("invalid_field", "resume needs payload.last_event_id, an event id", "payload.last_event_id").ConfigureAwait(false);
            return;
        }

        Volatile.Write(ref _pendingResume, new ResumeRequest(lastEventId!, ClientConnectionOptions.IsEventId(epoch) ? epoch : null));
        Interlocked.Exchange(ref _resumeSignal, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }

    private async Task<bool> ResumeFromSharedHistoryAsync()
    {
        try
        {
            await CompleteResumeAsync(_lifetime.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Tells the client how its resume went: <c>resumed</c>, or an error frame for an id this stream never had.</summary>
    private async Task<bool> ReportResumeAsync()
    {
        if (Resume is not { } result)
        {
            return true;
        }

        return result.Status == ResumeStatus.Unknown
            ? await SendErrorAsync("unknown_event_id", $"no event '{result.LastEventId}' in this stream; continuing with live events", "last_event_id").ConfigureAwait(false)
            : await SendControlAsync(static (buffer, client) => Frames.Resumed(buffer, client.Resume!, client.Broadcaster.Epoch), this).ConfigureAwait(false);
    }

    private async Task<bool> ApplyResumeAsync(ResumeRequest request)
    {
        Volatile.Write(ref _pendingResume, null);
        var previous = Subscription;
        var next = Subscribe(request.LastEventId, request.Epoch);
        if (!await ResumeFromSharedHistoryAsync().ConfigureAwait(false))
        {
            next.Dispose();
            return false;
        }

        if (Resume!.Status == ResumeStatus.Recovered)
        {
            Subscription = next;
            previous.Dispose();
            (_skipFrom, _skipTo) = (_firstSentSequence, _lastSentSequence);
        }
        else
        {
            // Nothing to replay: keep the queue this client already has rather than start again from now.
            next.Dispose();
        }

        return await ReportResumeAsync().ConfigureAwait(false);
    }

    private Task<bool> SendErrorAsync(string code, string message, string? field = null)
    {
        Broadcaster.CountProtocolError();
        Log.ClientError(_logger, Id, code, message);
        return SendControlAsync(static (buffer, error) => Frames.Error(buffer, error.code, error.message, error.field), (code, message, field));
    }

    private bool TakeFrameToken()
    {
        var rate = Broadcaster.Options.MaxFramesPerSecond;
        var now = _time.GetTimestamp();
        _frameTokens = Math.Min(rate, _frameTokens + (_time.GetElapsedTime(_lastRefill, now).TotalSeconds * rate));
        _lastRefill = now;
        if (_frameTokens < 1)
        {
            return false;
        }

        _frameTokens--;
        return true;
    }

    private async Task SendEventsAsync()
    {
        var token = _lifetime.Token;
        var batch = new List<WebSocketEvent>(Options.BatchSize);
        Task<bool>? ready = null;
        try
        {
            while (true)
            {
                if (Volatile.Read(ref _pendingResume) is { } resume)
                {
                    ready = null;
                    if (!await ApplyResumeAsync(resume).ConfigureAwait(false))
                    {
                        return;
                    }

                    continue;
                }

                if (!TryReadUnsent(out var first))
                {
                    ready ??= Subscription.WaitToReadAsync(token).AsTask();

                    // Take the signal before looking for a request, so one made in between still wakes this wait.
                    var resumeRequested = Volatile.Read(ref _resumeSignal).Task;
                    if (Volatile.Read(ref _pendingResume) is not null)
                    {
                        continue;
                    }

                    await Task.WhenAny(ready, resumeRequested).ConfigureAwait(false);
                    if (!ready.IsCompleted)
                    {
                        continue;
                    }

                    var more = await ready.ConfigureAwait(false);
                    ready = null;
                    if (!more)
                    {
                        return;
                    }

                    continue;
                }

                batch.Add(first);
                if (Options.BatchWindow > TimeSpan.Zero)
                {
                    var started = _time.GetTimestamp();
                    Task? window = null;
                    while (batch.Count < Options.BatchSize)
                    {
                        if (TryReadUnsent(out var next))
                        {
                            batch.Add(next);
                            continue;
                        }

                        var remaining = Options.BatchWindow - _time.GetElapsedTime(started);
                        if (remaining <= TimeSpan.Zero)
                        {
                            break;
                        }

                        ready ??= Subscription.WaitToReadAsync(token).AsTask();
                        window ??= Task.Delay(remaining, _time, token);
                        if (await Task.WhenAny(ready, window).ConfigureAwait(false) != ready)
                        {
                            break;
                        }

                        var more = await ready.ConfigureAwait(false);
                        ready = null;
                        if (!more)
                        {
                            break;
                        }
                    }
                }

                if (!await SendEventsAsync(batch).ConfigureAwait(false))
                {
                    return;
                }

                batch.Clear();
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Closing.
        }
    }

    private async Task<bool> SendEventsAsync(List<WebSocketEvent> batch)
    {
        var missed = TakeNewDrops(out var total);
        if (missed > 0 && !await SendControlAsync(static (buffer, gap) => Frames.Gap(buffer, gap.missed, gap.total), (missed, total)).ConfigureAwait(false))
        {
            return false;
        }

        var length = Options.BatchWindow > TimeSpan.Zero
            ? await SendFrameAsync(static (buffer, state) => Frames.Batch(buffer, state.batch, state.now), (batch, now: _time.GetUtcNow())).ConfigureAwait(false)
            : await SendFrameAsync(static (buffer, evt) => Frames.Event(buffer, evt), batch[0]).ConfigureAwait(false);
        if (length < 0)
        {
            return false;
        }

        foreach (var evt in batch)
        {
            if (ReplayedIds.Count > 0 && ReplayedIds.Contains(evt.EventId))
            {
                // From the shared history: its sequence is another instance's, not a position here.
                continue;
            }

            _firstSentSequence = _firstSentSequence == 0 ? evt.Sequence : Math.Min(_firstSentSequence, evt.Sequence);
            _lastSentSequence = Math.Max(_lastSentSequence, evt.Sequence);
        }

        CountSent(batch.Count, length);
        return true;
    }

    /// <summary>Events this connection sent before a <c>resume</c> frame re-subscribed it, which the new subscription replays again.</summary>
    protected override bool AlreadySent(WebSocketEvent evt) => _skipTo != 0 && evt.Sequence >= _skipFrom && evt.Sequence <= _skipTo;

    private async Task RepeatAsync(TimeSpan interval, FrameBuilder<WebSocketClient> build)
    {
        if (interval == Timeout.InfiniteTimeSpan)
        {
            return;
        }

        using var timer = new PeriodicTimer(interval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(_lifetime.Token).ConfigureAwait(false))
            {
                if (!await SendControlAsync(build, this).ConfigureAwait(false))
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Closing.
        }
    }

    /// <summary>
    /// Builds a frame into the connection's buffer under the send lock and sends it. Returns the frame's length, or -1 once the
    /// connection is closing or broken.
    /// </summary>
    private async Task<int> SendFrameAsync<TState>(FrameBuilder<TState> build, TState state)
    {
        try
        {
            await _sendLock.WaitAsync(_lifetime.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
        {
            return -1;
        }

        try
        {
            if (Volatile.Read(ref _closing) != 0)
            {
                return -1;
            }

            _buffer.ResetWrittenCount();
            build(_buffer, state);
            var length = _buffer.WrittenCount;
            _sendTimeout.CancelAfter(Broadcaster.Options.SendTimeout);
            await _socket.SendAsync(_buffer.WrittenMemory, WebSocketMessageType.Text, endOfMessage: true, _sendTimeout.Token).ConfigureAwait(false);
            if (!_sendTimeout.TryReset())
            {
                _sendTimeout.Dispose();
                _sendTimeout = new CancellationTokenSource(Timeout.InfiniteTimeSpan, _time);
            }

            if (_buffer.Capacity > MaxRetainedBuffer)
            {
                _buffer = new ArrayBufferWriter<byte>(4096);
            }

            return length;
        }
        catch (OperationCanceledException) when (_sendTimeout.IsCancellationRequested)
        {
            // The socket is aborted by now: the client stopped reading for longer than the send timeout.
            CloseCode = EventSocketCloseCodes.SlowConsumer;
            Interlocked.Exchange(ref _closing, 1);
            Broadcaster.CountProtocolError();
            Log.ClientViolation(_logger, Id, EventSocketCloseCodes.SlowConsumer, "a send took longer than the send timeout");
            return -1;
        }
        catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException or InvalidOperationException)
        {
            return -1;
        }
        finally
        {
            _sendLock.Release();
        }
    }

    private async Task<bool> SendControlAsync<TState>(FrameBuilder<TState> build, TState state)
    {
        var length = await SendFrameAsync(build, state).ConfigureAwait(false);
        if (length < 0)
        {
            return false;
        }

        CountSent(0, length);
        return true;
    }

    private delegate void FrameBuilder<in TState>(ArrayBufferWriter<byte> buffer, TState state);

    private sealed record ResumeRequest(string LastEventId, string? Epoch);
}
