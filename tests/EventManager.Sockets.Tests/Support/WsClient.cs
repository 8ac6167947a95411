using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;

namespace EventManager.Tests.Support;

/// <summary>
/// A client WebSocket (a <see cref="ClientWebSocket"/> through Kestrel, or one end of a loopback TCP pair) that reads every
/// frame in the background into a queue, so tests await frames instead of sleeping.
/// </summary>
internal sealed class WsClient : IAsyncDisposable
{
    private readonly Channel<JsonElement> _frames = Channel.CreateUnbounded<JsonElement>();
    private readonly Task _reader;

    private WsClient(WebSocket socket, bool read)
    {
        Socket = socket;
        _reader = read ? ReadAsync() : Task.CompletedTask;
    }

    public WebSocket Socket { get; }

    /// <summary>Reads (or, with <paramref name="read"/> false, only holds) an open client WebSocket.</summary>
    public static WsClient Over(WebSocket socket, bool read = true) => new(socket, read);

    public WebSocketCloseStatus? CloseStatus => Socket.CloseStatus;

    public static async Task<WsClient> ConnectAsync(Uri uri, string? authorization = null, string? origin = null, bool read = true, Action<ClientWebSocketOptions>? configure = null)
    {
        var socket = new ClientWebSocket();
        if (authorization is not null)
        {
            socket.Options.SetRequestHeader("Authorization", authorization);
        }

        if (origin is not null)
        {
            socket.Options.SetRequestHeader("Origin", origin);
        }

        configure?.Invoke(socket.Options);
        await socket.ConnectAsync(uri, CancellationToken.None);
        return new WsClient(socket, read);
    }

    /// <summary>Connects and returns the status code of a refused upgrade.</summary>
    public static async Task<System.Net.HttpStatusCode> RefusedAsync(Uri uri, string? authorization = null, string? origin = null)
    {
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        if (authorization is not null)
        {
            socket.Options.SetRequestHeader("Authorization", authorization);
        }

        if (origin is not null)
        {
            socket.Options.SetRequestHeader("Origin", origin);
        }

        try
        {
            await socket.ConnectAsync(uri, CancellationToken.None);
        }
        catch (WebSocketException)
        {
            return socket.HttpStatusCode;
        }

        Assert.Fail($"The upgrade to {uri} was accepted.");
        return default;
    }

    /// <summary>Starts reading a client that was connected without a reader.</summary>
    public static Task<WsClient> AttachReaderAsync(WsClient client) => Task.FromResult(new WsClient(client.Socket, read: true));

    public Task SendAsync(string text) => Socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);

    public Task SendAsync(object frame) => SendAsync(JsonSerializer.Serialize(frame));

    /// <summary>The next frame of the given type, skipping heartbeats unless asked for.</summary>
    public async Task<JsonElement> NextAsync(string? type = null, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? Eventually.DefaultTimeout);
        try
        {
            while (true)
            {
                var frame = await _frames.Reader.ReadAsync(cts.Token);
                var frameType = frame.GetProperty("type").GetString();
                if (type is null ? frameType != "heartbeat" : frameType == type)
                {
                    return frame;
                }
            }
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"No {type ?? "frame"} arrived within {timeout ?? Eventually.DefaultTimeout}.");
            throw;
        }
        catch (ChannelClosedException)
        {
            Assert.Fail($"The connection closed ({Socket.CloseStatus} {Socket.CloseStatusDescription}) before a {type ?? "frame"} arrived.");
            throw;
        }
    }

    /// <summary>Events from event and batch frames until <paramref name="count"/> have arrived.</summary>
    public async Task<List<JsonElement>> EventsAsync(int count, TimeSpan? timeout = null)
    {
        var events = new List<JsonElement>(count);
        while (events.Count < count)
        {
            var frame = await NextAsync(timeout: timeout);
            switch (frame.GetProperty("type").GetString())
            {
                case "event":
                    events.Add(frame);
                    break;
                case "batch":
                    events.AddRange(frame.GetProperty("events").EnumerateArray());
                    break;
            }
        }

        return events;
    }

    /// <summary>Waits until the server has closed the connection, and returns its close code.</summary>
    public async Task<WebSocketCloseStatus?> ClosedAsync()
    {
        await Eventually.Within(_reader, "the server to close the connection");
        return Socket.CloseStatus;
    }

    public async ValueTask DisposeAsync()
    {
        if (Socket.State == WebSocketState.Open)
        {
            try
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await Socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, cts.Token);
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
            {
            }
        }

        Socket.Dispose();
        try
        {
            await _reader.WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (TimeoutException)
        {
        }
    }

    private async Task ReadAsync()
    {
        var buffer = new byte[64 * 1024];
        var message = new MemoryStream();
        try
        {
            while (true)
            {
                var result = await Socket.ReceiveAsync(buffer, CancellationToken.None);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    if (Socket.State == WebSocketState.CloseReceived)
                    {
                        await Socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
                    }

                    return;
                }

                message.Write(buffer, 0, result.Count);
                if (result.EndOfMessage)
                {
                    using var document = JsonDocument.Parse(message.ToArray());
                    await _frames.Writer.WriteAsync(document.RootElement.Clone());
                    message.SetLength(0);
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException or OperationCanceledException)
        {
        }
        finally
        {
            _frames.Writer.TryComplete();
        }
    }
}
