using System.Net.WebSockets;
using System.Text;

namespace EventManager.Soak;

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
    private long _errorsAnswered;

    /// <summary>Garbage frames sent (a burst counts as one).</summary>
    public long FramesSent { get; private set; }

    /// <summary>Error frames the server answered bad frames with.</summary>
    public long ErrorsAnswered => Interlocked.Read(ref _errorsAnswered);

    /// <summary>How connections ended, by close status (or "aborted") and the kind of frame sent last.</summary>
    public Dictionary<string, int> Closes { get; } = [];

    /// <summary>Connections ended in a way their last frame does not call for.</summary>
    public int UnexpectedCloses { get; private set; }

    /// <summary>The check's figures: frames sent / error frames answered / connections ended, unexpected ends (by kind).</summary>
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
            _lastKind = "nothing";
            var unanswered = false;
            try
            {
                while (socket.State == WebSocketState.Open)
                {
                    await SendOneAsync(socket);
                    if (ExpectedEnds[_lastKind].Length > 0)
                    {
                        try
                        {
                            await reading.WaitAsync(TimeSpan.FromSeconds(10), stop);
                        }
                        catch (TimeoutException)
                        {
                            // A frame that calls for a close did not get one: a finding, and the connection is of no more use.
                            unanswered = true;
                            socket.Abort();
                        }

                        break;
                    }

                    // Workload pacing, not a wait: ordinary garbage stays under the server's frame-rate limit (bursts cross it on purpose).
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
            var end = unanswered ? "no close" : socket.CloseStatus?.ToString() ?? "aborted";
            var key = end + " after " + _lastKind;
            Closes[key] = Closes.GetValueOrDefault(key) + 1;

            // After a frame that calls for a close the client waits for it, so a close answers the last frame sent.
            if (!ExpectedEnds[_lastKind].Contains(end))
            {
                UnexpectedCloses++;
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
