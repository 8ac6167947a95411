using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace EventManager.Soak;

/// <summary>
/// A soak client of one instance. It reconnects and resumes after each deliberate drop until the soak ends; any other end
/// of a connection, and any exception it did not cause, is an error.
/// </summary>
internal abstract class SoakClient(SoakHost host, int publishers)
{
    private CancellationTokenSource _connection = new();

    // Set once the current connection is ready to be dropped: it said hello and, when it resumed, said how.
    private volatile bool _settled;
    private bool _resuming;

    public SoakHost Host { get; } = host;

    public Tracker Tracker { get; } = new(publishers);

    /// <summary>Connections the soak cut on purpose (<see cref="Drop"/>), each of which the client resumed after.</summary>
    public int Drops { get; private set; }

    /// <summary>Resumes the server answered with <c>recovered: true</c>.</summary>
    public int Recovered { get; private set; }

    /// <summary>Resumes the server answered with <c>recovered: false</c>.</summary>
    public int NotRecovered { get; private set; }

    /// <summary>The sum of what the client's <c>gap</c> frames said it missed.</summary>
    public long ToldMissed { get; protected set; }

    /// <summary>The current connection's id, from its hello.</summary>
    public string? ConnectionId { get; protected set; }

    /// <summary>Exceptions the client did not cause, and connections the server ended.</summary>
    public int Errors { get; private set; }

    /// <summary>The last of <see cref="Errors"/>.</summary>
    public string? LastError { get; private set; }

    /// <summary>"websocket" or "sse".</summary>
    public abstract string Kind { get; }

    /// <summary>
    /// Whether the current connection said hello and, when it resumed, how, and the client has an event to resume after:
    /// only such a connection is cut, so every cut is followed by exactly one resume and its answer.
    /// </summary>
    public bool Settled => _settled && Tracker.LastEventId is not null;

    /// <summary>Cuts the current connection without a close handshake, as a network failure would, if it is <see cref="Settled"/>.</summary>
    public void Drop()
    {
        if (Settled)
        {
            _settled = false;
            Volatile.Read(ref _connection).Cancel();
        }
    }

    /// <summary>Ends the current connection at the end of the run; not counted as a drop.</summary>
    public void Close() => Volatile.Read(ref _connection).Cancel();

    public async Task RunAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            _settled = false;
            var connection = Volatile.Read(ref _connection);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(stop, connection.Token);
            var lastEventId = Tracker.LastEventId;
            _resuming = lastEventId is not null;
            try
            {
                await ConnectAndReadAsync(lastEventId, linked.Token);
                if (!linked.IsCancellationRequested)
                {
                    Error("the server ended the connection");
                }
            }
            catch (Exception) when (linked.IsCancellationRequested)
            {
                // Cut on purpose (Drop or the end of the run): resume below.
            }
            catch (Exception ex)
            {
                // Nothing else ends a connection in the soak: the servers stay up and let slow clients drop events.
                Error(ex.GetType().Name + ": " + ex.Message);
            }

            if (connection.IsCancellationRequested && !stop.IsCancellationRequested)
            {
                Drops++;
                Interlocked.Exchange(ref _connection, new CancellationTokenSource()).Dispose();
            }

            await Task.Delay(50, CancellationToken.None);
        }
    }

    private void Error(string what)
    {
        LastError = what;
        Errors++;
    }

    protected abstract Task ConnectAndReadAsync(string? lastEventId, CancellationToken token);

    protected void Hello(string? connectionId)
    {
        ConnectionId = connectionId;
        _settled = !_resuming;
    }

    protected void Handle(JsonElement frame)
    {
        switch (frame.GetProperty("type").GetString())
        {
            case "connected":
                Hello(frame.GetProperty("payload").GetProperty("connection_id").GetString());
                break;
            case "resumed":
                if (frame.GetProperty("payload").GetProperty("recovered").GetBoolean())
                {
                    Recovered++;
                }
                else
                {
                    NotRecovered++;
                }

                _settled = true;
                break;
            case "gap":
                ToldMissed += frame.GetProperty("payload").GetProperty("missed").GetInt64();
                break;
            case "event":
                Tracker.Record(frame);
                break;
            case "batch":
                foreach (var evt in frame.GetProperty("events").EnumerateArray())
                {
                    Tracker.Record(evt);
                }

                break;
        }
    }
}

/// <summary>A WebSocket client that resumes with last_event_id; optionally slow (a pause before each frame) or not reading until told.</summary>
internal sealed class WebSocketSoakClient(SoakHost host, int publishers, TimeSpan pause = default, bool holdUntilReleased = false) : SoakClient(host, publishers)
{
    public override string Kind => "websocket";

    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>How long the client waits after each frame before reading the next.</summary>
    public TimeSpan Pause { get; set; } = pause;

    /// <summary>Lets a client made to hold until released start reading.</summary>
    public void Release() => _released.TrySetResult();

    protected override async Task ConnectAndReadAsync(string? lastEventId, CancellationToken token)
    {
        using var socket = new ClientWebSocket();
        var query = "?batch_size=50&batch_window_ms=20" + (lastEventId is null ? "" : "&last_event_id=" + lastEventId);
        await socket.ConnectAsync(new Uri(Host.Ws, "/ws/events" + query), token);
        if (holdUntilReleased)
        {
            await _released.Task.WaitAsync(token);
        }

        var buffer = new byte[1 << 20];
        using var abort = token.Register(socket.Abort);
        while (true)
        {
            var length = 0;
            ValueWebSocketReceiveResult result;
            do
            {
                result = await socket.ReceiveAsync(buffer.AsMemory(length), CancellationToken.None);
                length += result.Count;
            }
            while (!result.EndOfMessage);

            if (result.MessageType == WebSocketMessageType.Close)
            {
                return;
            }

            using (var document = JsonDocument.Parse(buffer.AsMemory(0, length)))
            {
                Handle(document.RootElement);
            }

            if (Pause > TimeSpan.Zero)
            {
                await Task.Delay(Pause, token);
            }
        }
    }
}

/// <summary>An SSE client that resumes with the standard Last-Event-ID header.</summary>
internal sealed class ServerSentEventSoakClient(SoakHost host, int publishers, HttpClient http) : SoakClient(host, publishers)
{
    public override string Kind => "sse";

    protected override async Task ConnectAndReadAsync(string? lastEventId, CancellationToken token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(Host.Http, "/events"));
        if (lastEventId is not null)
        {
            request.Headers.Add("Last-Event-ID", lastEventId);
        }

        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, token);
        response.EnsureSuccessStatusCode();
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(token), Encoding.UTF8);
        string? type = null;
        var data = new StringBuilder();
        while (await reader.ReadLineAsync(token) is { } line)
        {
            if (line.Length == 0)
            {
                if (data.Length > 0)
                {
                    using var document = JsonDocument.Parse(data.ToString());
                    var root = document.RootElement;
                    switch (type)
                    {
                        case "session_stream_started":
                            Hello(root.GetProperty("payload").GetProperty("connection_id").GetString());
                            break;
                        case "resumed" or "gap":
                            Handle(root);
                            break;
                        case "soak.tick":
                            Tracker.Record(root);
                            break;
                    }
                }

                (type, data) = (null, data.Clear());
            }
            else if (line.StartsWith("event:", StringComparison.Ordinal))
            {
                type = line[6..].Trim();
            }
            else if (line.StartsWith("data:", StringComparison.Ordinal))
            {
                data.Append(line[5..].TrimStart());
            }
        }
    }
}
