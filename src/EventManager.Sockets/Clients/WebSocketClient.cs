using System.Net.WebSockets;
using Microsoft.Extensions.Logging;

namespace EventManager.Sockets;

/// <summary>
/// One WebSocket client, put together from its parts: the <see cref="WebSocketFrameReader"/> and the commands it carries (answered
/// here), the <see cref="BatchingSendLoop"/>, the <see cref="ResumeCoordinator"/>, the <see cref="WebSocketSender"/> through which
/// every frame goes, and timers for heartbeats and metrics.
/// </summary>
internal sealed class WebSocketClient : ISocketClient, IDisposable
{
    private readonly WebSocket _socket;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _lifetime = new();
    private readonly TaskCompletionSource _receiveEnded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly WebSocketSender _sender;
    private readonly ResumeCoordinator _resume;
    private readonly FrameRateLimiter _rateLimiter;

    public WebSocketClient(WebSocketBroadcaster broadcaster, WebSocket socket, FramedTransport? transport, ClientConnectionOptions options, SessionStats? session)
    {
        _socket = socket;
        _logger = broadcaster.Logger;
        Connection = new ClientConnection(broadcaster, options, session);
        _sender = new WebSocketSender(socket, transport, broadcaster.Options, Connection.Time, ReportSendTimeout, _lifetime.Token);
        _rateLimiter = new FrameRateLimiter(broadcaster.Options.MaxFramesPerSecond, Connection.Time);

        _resume = new ResumeCoordinator(Connection, () => BeginClose(EventSocketCloseCodes.SlowConsumer, "send queue overflow"));
    }

    public ClientConnection Connection { get; }

    /// <summary>How the connection ended, for the log.</summary>
    public int? CloseCode { get; private set; }

    private TimeProvider Time => Connection.Time;

    public async Task RunAsync()
    {
        var connected = await SendControlAsync(static (buffer, client) => Frames.Connected(buffer, client.Connection.Id, client.Connection.Broadcaster.Epoch, client._resume.StartPosition, client.Connection.Options, client.Connection.Broadcaster.Options.HeartbeatInterval, client.Time.GetUtcNow()), this).ConfigureAwait(false)
            && await CompleteResumeAsync().ConfigureAwait(false)
            && await ReportResumeAsync().ConfigureAwait(false);
        var sending = connected ? new BatchingSendLoop(Connection, _resume, _sender, ReportResumeAsync).RunAsync(_lifetime.Token) : Task.CompletedTask;
        var heartbeats = connected ? RepeatAsync(Connection.Broadcaster.Options.HeartbeatInterval, static (buffer, client) => Frames.Control(buffer, "heartbeat", client.Time.GetUtcNow())) : Task.CompletedTask;
        var metrics = connected && Connection.Options.MetricsInterval > TimeSpan.Zero
            ? RepeatAsync(Connection.Options.MetricsInterval, static (buffer, client) => Frames.MetricsUpdate(buffer, client.Connection.Broadcaster.GetMetrics(), client.Connection.Broadcaster.Manager.GetMetrics(), client.Time.GetUtcNow()))
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
            try
            {
                await Task.WhenAll(sending, heartbeats, metrics).ConfigureAwait(false);
            }
            finally
            {
                if (_socket.State != WebSocketState.Closed)
                {
                    _socket.Abort();
                }

                _resume.Dispose();
                Dispose();
            }
        }
    }

    /// <summary>Called once <see cref="RunAsync"/> ends; a close asked for later does nothing.</summary>
    public void Dispose()
    {
        _sender.Dispose();
        _lifetime.Dispose();
    }

    public void BeginClose(int closeCode, string reason)
    {
        if (!_sender.TryStartClosing())
        {
            return;
        }

        CloseCode = closeCode;
        _ = CloseAsync(closeCode, reason);
    }

    private async Task CloseAsync(int closeCode, string reason)
    {
        try
        {
            await _lifetime.CancelAsync().ConfigureAwait(false);
            if (!await _sender.SendCloseAsync((WebSocketCloseStatus)closeCode, reason).ConfigureAwait(false))
            {
                // A send is stuck on a client that does not read, or the socket broke: no close frame can get through.
                _socket.Abort();
            }

            // The receive loop ends when the client answers the close frame; one that never does is cut off.
            var closeTimeout = Connection.Broadcaster.Options.CloseTimeout;
            if (await Task.WhenAny(_receiveEnded.Task, Task.Delay(closeTimeout, Time)).ConfigureAwait(false) != _receiveEnded.Task)
            {
                _socket.Abort();
            }
        }
        catch (ObjectDisposedException)
        {
            // The connection ended while closing.
        }
    }

    private async Task ReceiveAsync()
    {
        var reader = new WebSocketFrameReader(_socket, Connection.Broadcaster.Options.MaxFrameBytes);
        await foreach (var frame in reader.ReadAsync().ConfigureAwait(false))
        {
            if (frame.Kind == ReceivedFrameKind.Close)
            {
                await AnswerCloseAsync().ConfigureAwait(false);
                return;
            }

            if (_sender.IsClosing)
            {
                continue;
            }

            switch (frame.Kind)
            {
                case ReceivedFrameKind.Binary:
                    Violation(EventSocketCloseCodes.UnsupportedData, "binary frames are not supported; send JSON text");
                    break;
                case ReceivedFrameKind.TooBig:
                    Violation(EventSocketCloseCodes.MessageTooBig, $"frames are limited to {Connection.Broadcaster.Options.MaxFrameBytes} bytes");
                    break;
                case ReceivedFrameKind.Text when !_rateLimiter.TryTake():
                    await SendErrorAsync(new ClientFrameError("rate_limited", $"more than {Connection.Broadcaster.Options.MaxFramesPerSecond} frames per second")).ConfigureAwait(false);
                    Violation(EventSocketCloseCodes.PolicyViolation, "rate limit exceeded");
                    break;
                default:
                    await HandleAsync(frame.Text).ConfigureAwait(false);
                    break;
            }
        }
    }

    /// <summary>The client started the close handshake: answer it, unless this side already closed.</summary>
    private async Task AnswerCloseAsync()
    {
        if (!_sender.TryStartClosing())
        {
            return;
        }

        CloseCode = (int?)_socket.CloseStatus ?? EventSocketCloseCodes.Normal;
        await _lifetime.CancelAsync().ConfigureAwait(false);

        // A client that left without waiting for the answer needs none.
        await _sender.SendCloseAsync(WebSocketCloseStatus.NormalClosure, null).ConfigureAwait(false);
    }

    private void Violation(int closeCode, string reason)
    {
        Connection.Broadcaster.CountProtocolError();
        Log.ClientViolation(_logger, Connection.Id, closeCode, reason);
        BeginClose(closeCode, reason);
    }

    private async Task HandleAsync(ReadOnlyMemory<byte> frame)
    {
        if (ClientCommandParser.Parse(frame, out var command) is { } error)
        {
            await SendErrorAsync(error).ConfigureAwait(false);
            return;
        }

        switch (command.Kind)
        {
            case ClientCommandKind.Ping:
                await SendControlAsync(static (buffer, client) => Frames.Control(buffer, "pong", client.Time.GetUtcNow()), this).ConfigureAwait(false);
                break;
            case ClientCommandKind.Resume:
                // The send loop owns the subscription and applies it between batches (docs/protocol.md).
                _resume.Request(command.LastEventId!, command.Epoch);
                break;
            default:
                await ChangeEventTypesAsync(command).ConfigureAwait(false);
                break;
        }
    }

    /// <summary><c>subscribe</c> replaces the event types; <c>unsubscribe</c> removes the ones it names, or all of them.</summary>
    private async Task ChangeEventTypesAsync(ClientCommand command)
    {
        var current = Connection.Filter;
        var named = command.EventTypes;
        IReadOnlyList<string>? next = command.Kind == ClientCommandKind.Subscribe ? named
            : named is null ? []
            : (current.EventTypes ?? ["*"]).Where(t => !named.Contains(t, StringComparer.Ordinal)).ToList();
        try
        {
            Connection.Filter = current.WithEventTypes(next);
        }
        catch (ArgumentException ex)
        {
            await SendErrorAsync(new ClientFrameError("invalid_field", ex.Message.Split(" (Parameter")[0], "payload.event_types")).ConfigureAwait(false);
            return;
        }

        await SendControlAsync(static (buffer, client) => Frames.Subscribed(buffer, client.Connection.Filter.EventTypes), this).ConfigureAwait(false);
    }

    private async Task<bool> CompleteResumeAsync()
    {
        try
        {
            await _resume.CompleteAsync(_lifetime.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Tells the client how its resume went, when it asked for one; an id this stream never had counts as a client error.</summary>
    private Task<bool> ReportResumeAsync()
    {
        if (_resume.Resume is not { } result)
        {
            return Task.FromResult(true);
        }

        if (result.Status == ResumeStatus.Unknown)
        {
            Connection.Broadcaster.CountProtocolError();
            Log.ClientError(_logger, Connection.Id, "unknown_event_id", $"no event '{result.LastEventId}' in this stream");
        }

        return SendControlAsync(static (buffer, resume) => resume.WriteReport(buffer), _resume);
    }

    private Task<bool> SendErrorAsync(ClientFrameError error)
    {
        Connection.Broadcaster.CountProtocolError();
        Log.ClientError(_logger, Connection.Id, error.Code, error.Message);
        return SendControlAsync(static (buffer, error) => Frames.Error(buffer, error.Code, error.Message, error.Field), error);
    }

    private async Task RepeatAsync(TimeSpan interval, WebSocketSender.FrameBuilder<WebSocketClient> build)
    {
        if (interval == Timeout.InfiniteTimeSpan)
        {
            return;
        }

        using var timer = new PeriodicTimer(interval, Time);
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

    /// <summary>Sends a frame that carries no events; counts its bytes. <see langword="false"/> once the connection is closing or broken.</summary>
    private async Task<bool> SendControlAsync<TState>(WebSocketSender.FrameBuilder<TState> build, TState state)
    {
        var length = await _sender.SendAsync(build, state).ConfigureAwait(false);
        if (length < 0)
        {
            return false;
        }

        Connection.CountSent(0, length);
        return true;
    }

    /// <summary>The client stopped reading for longer than the send timeout; the sender has aborted the socket.</summary>
    private void ReportSendTimeout()
    {
        CloseCode = EventSocketCloseCodes.SlowConsumer;
        Connection.Broadcaster.CountProtocolError();
        Log.ClientViolation(_logger, Connection.Id, EventSocketCloseCodes.SlowConsumer, "a send took longer than the send timeout");
    }
}
