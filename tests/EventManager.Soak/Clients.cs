using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace EventManager.Soak;

/// <summary>A soak client of one instance; it reconnects and resumes when dropped until the soak ends.</summary>
internal abstract class SoakClient(SoakHost host, int publishers)
{
    private CancellationTokenSource _connection = new();

    public SoakHost Host { get; } = host;

    public Tracker Tracker { get; } = new(publishers);

    public int Resumes { get; protected set; }

    public int NotRecovered { get; protected set; }

    public long ToldMissed { get; protected set; }

    public string? ConnectionId { get; protected set; }

    public int Errors { get; private set; }

    public string? LastError { get; private set; }

    public abstract string Kind { get; }

    /// <summary>Cuts the current connection without a close handshake, as a network failure would.</summary>
    public void Drop() => Interlocked.Exchange(ref _connection, new CancellationTokenSource()).Cancel();

    public async Task RunAsync(CancellationToken stop)
    {
        var first = true;
        while (!stop.IsCancellationRequested)
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(stop, Volatile.Read(ref _connection).Token);
            try
            {
                await ConnectAndReadAsync(first ? null : Tracker.LastEventId, linked.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or HttpRequestException or IOException)
            {
                // Dropped on purpose, or the server went away: resume below.
            }
            catch (Exception ex) when (!stop.IsCancellationRequested)
            {
                // Anything else is a finding; keep the client going so the rest of the run still counts.
                LastError = ex.GetType().Name + ": " + ex.Message;
                Errors++;
            }

            if (!first || Tracker.LastEventId is not null)
            {
                Resumes++;
            }

            first = false;
            await Task.Delay(50, CancellationToken.None);
        }
    }

    protected abstract Task ConnectAndReadAsync(string? lastEventId, CancellationToken token);

    protected void Handle(JsonElement frame)
    {
        switch (frame.GetProperty("type").GetString())
        {
            case "connected":
                ConnectionId = frame.GetProperty("payload").GetProperty("connection_id").GetString();
                break;
            case "resumed":
                if (!frame.GetProperty("payload").GetProperty("recovered").GetBoolean())
                {
                    NotRecovered++;
                }

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
                            ConnectionId = root.GetProperty("payload").GetProperty("connection_id").GetString();
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

    private readonly Random _random = new(seed);
    private string _lastKind = "nothing";

    public long FramesSent { get; private set; }

    public Dictionary<string, int> Closes { get; } = [];

    public async Task RunAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            using var socket = new ClientWebSocket();
            try
            {
                await socket.ConnectAsync(new Uri(host.Ws, "/ws/events?filter=%7B%22event_types%22%3A%5B%22none%22%5D%7D"), stop);
                var reading = DrainAsync(socket);
                while (socket.State == WebSocketState.Open && !stop.IsCancellationRequested)
                {
                    await SendOneAsync(socket);
                    await Task.Delay(_random.Next(20, 120), stop);
                }

                await reading;
                var code = socket.CloseStatus?.ToString() ?? "aborted after " + _lastKind;
                Closes[code] = Closes.GetValueOrDefault(code) + 1;
            }
            catch (Exception ex) when (ex is OperationCanceledException or WebSocketException)
            {
            }
        }
    }

    private async Task SendOneAsync(ClientWebSocket socket)
    {
        FramesSent++;
        var kind = _random.Next(40);
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

    private static async Task DrainAsync(ClientWebSocket socket)
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
            }
        }
        catch (WebSocketException)
        {
        }
    }
}
