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

    public int Recovered { get; private set; }

    public int NotRecovered { get; private set; }

    public long ToldMissed { get; protected set; }

    public string? ConnectionId { get; protected set; }

    public int Errors { get; private set; }

    public string? LastError { get; private set; }

    public abstract string Kind { get; }

    /// <summary>Whether the current connection said hello and, when it resumed, how; only such a one is dropped.</summary>
    public bool Settled => _settled;

    /// <summary>
    /// Cuts the current connection without a close handshake, as a network failure would, if it is <see cref="Settled"/>
    /// (so every drop is followed by one resume and its answer); returns whether it did.
    /// </summary>
    public bool Drop()
    {
        if (!_settled)
        {
            return false;
        }

        _settled = false;
        Volatile.Read(ref _connection).Cancel();
        return true;
    }

    /// <summary>Ends the current connection at the end of the run; not counted as a drop.</summary>
    public void Close() => Volatile.Read(ref _connection).Cancel();

    public async Task RunAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
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
    private long _framesRead;

    public long FramesRead => Interlocked.Read(ref _framesRead);

    public TimeSpan Pause { get; set; } = pause;

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

            Interlocked.Increment(ref _framesRead);
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

/// <summary>A client that sends garbage: bad JSON, wrong types, binary, oversized and non-UTF-8 frames, and bursts over the rate limit.</summary>
internal sealed class GarbageClient(SoakHost host, int seed)
{
    private static readonly string[] Frames =
    [
        "{{{", "[]", "{\"type\":42}", "{\"type\":\"dance\"}", "{\"type\":\"subscribe\",\"payload\":\"all\"}",
        "{\"type\":\"subscribe\",\"payload\":{\"event_types\":[1,2]}}", "{\"type\":\"resume\",\"payload\":{\"last_event_id\":\"<script>\"}}",
        "{\"type\":\"resume\",\"payload\":{\"last_event_id\":\"0123456789abcdef0123456789abcdef\"}}", "null", "\"just a string\"",
    ];

    // What the server must answer a connection's last frame with, when it ends the connection for it. Bad JSON gets an
    // error frame and the connection stays open. For non-UTF-8 text, .NET's WebSocket sometimes ends the connection before
    // its 1007 close frame is written (docs/reliability.md), so an abort after one is expected too.
    private static readonly Dictionary<string, string[]> ExpectedEnds = new()
    {
        ["binary"] = [nameof(WebSocketCloseStatus.InvalidMessageType)],
        ["oversized"] = [nameof(WebSocketCloseStatus.MessageTooBig)],
        ["non-UTF-8"] = [nameof(WebSocketCloseStatus.InvalidPayloadData), "aborted"],
        ["burst"] = [nameof(WebSocketCloseStatus.PolicyViolation)],
        ["bad JSON"] = [],
        ["nothing"] = [],
    };

    private readonly Random _random = new(seed);
    private string _lastKind = "nothing";
    private string _previousKind = "nothing";
    private long _errorsAnswered;

    public long FramesSent { get; private set; }

    /// <summary>Error frames the server answered bad frames with.</summary>
    public long ErrorsAnswered => Interlocked.Read(ref _errorsAnswered);

    /// <summary>How connections ended, by close status (or "aborted") and the kind of frame sent last.</summary>
    public Dictionary<string, int> Closes { get; } = [];

    /// <summary>Connections ended in a way their last frame does not call for.</summary>
    public int UnexpectedCloses { get; private set; }

    public string Summary => $"{FramesSent} / {ErrorsAnswered} / {Closes.Values.Sum()}, {UnexpectedCloses} ({string.Join(", ", Closes.Select(kv => $"{kv.Key} {kv.Value}"))})";

    public async Task RunAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            using var socket = new ClientWebSocket();
            try
            {
                await socket.ConnectAsync(new Uri(host.Ws, "/ws/events?filter=%7B%22event_types%22%3A%5B%22none%22%5D%7D"), stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }

            var reading = DrainAsync(socket);
            (_lastKind, _previousKind) = ("nothing", "nothing");
            try
            {
                while (socket.State == WebSocketState.Open)
                {
                    await SendOneAsync(socket);
                    await Task.Delay(_random.Next(20, 120), stop);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (WebSocketException)
            {
                // Sending to a connection the server has just closed for an earlier frame; the reader sees how it ended.
            }

            await reading;
            var end = socket.CloseStatus?.ToString() ?? "aborted";
            var key = end + " after " + _lastKind;
            Closes[key] = Closes.GetValueOrDefault(key) + 1;

            // The frame the server ended the connection for may be the one before the last: the last was on its way.
            if (!ExpectedEnds[_lastKind].Contains(end) && !ExpectedEnds[_previousKind].Contains(end))
            {
                UnexpectedCloses++;
            }
        }
    }

    private async Task SendOneAsync(ClientWebSocket socket)
    {
        FramesSent++;
        var kind = _random.Next(40);
        _previousKind = _lastKind;
        _lastKind = kind switch { 0 => "binary", 1 => "oversized", 2 => "non-UTF-8", 3 => "burst", _ => "bad JSON" };
        switch (kind)
        {
            case 0:
                await socket.SendAsync(new byte[] { 1, 2, 3 }, WebSocketMessageType.Binary, true, CancellationToken.None);
                break;
            case 1:
                await socket.SendAsync(Encoding.UTF8.GetBytes(new string('x', 70_000)), WebSocketMessageType.Text, true, CancellationToken.None);
                break;
            case 2:
                await socket.SendAsync(new byte[] { 0x7b, 0xf5, 0x7d }, WebSocketMessageType.Text, true, CancellationToken.None);
                break;
            case 3:
                for (var i = 0; i < 80 && socket.State == WebSocketState.Open; i++)
                {
                    await socket.SendAsync("{\"type\":\"ping\"}"u8.ToArray(), WebSocketMessageType.Text, true, CancellationToken.None);
                }

                break;
            default:
                await socket.SendAsync(Encoding.UTF8.GetBytes(Frames[_random.Next(Frames.Length)]), WebSocketMessageType.Text, true, CancellationToken.None);
                break;
        }
    }

    private async Task DrainAsync(ClientWebSocket socket)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var result = await socket.ReceiveAsync(buffer, CancellationToken.None);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }

                if (buffer.AsSpan(0, result.Count).IndexOf("\"type\":\"error\""u8) >= 0)
                {
                    Interlocked.Increment(ref _errorsAnswered);
                }
            }
        }
        catch (WebSocketException)
        {
        }
    }
}
