using System.Buffers;
using System.Net;
using System.Net.WebSockets;

namespace EventManager.Client;

/// <summary>One WebSocket connection: connects, reads whole text messages (bounded by the frame limit) and hands each to the dispatcher, until the server closes.</summary>
internal static class WebSocketTransport
{
    /// <summary>Runs one connection until it ends.</summary>
    /// <returns>The close the server sent, or <see langword="null"/> when the connection ended without one.</returns>
    public static async Task<WebSocketCloseStatus?> RunAsync(Uri uri, EventManagerClientOptions options, TimeProvider time, FrameDispatcher dispatcher, Action connected, CancellationToken cancellationToken)
    {
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        options.ConfigureWebSocket?.Invoke(socket.Options);
        using (var connect = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            connect.CancelAfter(options.ConnectTimeout);
            try
            {
                await socket.ConnectAsync(uri, connect.Token).ConfigureAwait(false);
            }
            catch (WebSocketException ex) when (socket.HttpStatusCode is not (0 or HttpStatusCode.SwitchingProtocols))
            {
                throw new HttpRequestException($"The server refused the WebSocket connection with HTTP {(int)socket.HttpStatusCode}.", ex, socket.HttpStatusCode);
            }
        }

        using var idle = new IdleTimeout(time, options.IdleTimeout, cancellationToken);
        var message = new ArrayBufferWriter<byte>(16 * 1024);
        while (true)
        {
            message.ResetWrittenCount();
            var (type, oversized) = await IdleTimeoutException.Guard(ReceiveMessageAsync(socket, message, options.MaxFrameBytes, idle, idle.Token), idle, options.IdleTimeout, cancellationToken).ConfigureAwait(false);
            if (type == WebSocketMessageType.Close)
            {
                if (socket.State == WebSocketState.CloseReceived)
                {
                    await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, cancellationToken).ConfigureAwait(false);
                }

                return socket.CloseStatus;
            }

            idle.Pause();
            if (oversized)
            {
                dispatcher.ReportOversized(options.MaxFrameBytes);
            }
            else if (type == WebSocketMessageType.Text && await dispatcher.OnWebSocketFrameAsync(message.WrittenMemory, cancellationToken).ConfigureAwait(false))
            {
                idle.FitTo(dispatcher.ServerHeartbeat);
                connected();
            }

            idle.Touch();
        }
    }

    /// <summary>Reads one whole message; past the limit the rest is read and thrown away, so the next message is whole.</summary>
    private static async Task<(WebSocketMessageType Type, bool Oversized)> ReceiveMessageAsync(ClientWebSocket socket, ArrayBufferWriter<byte> message, int limit, IdleTimeout idle, CancellationToken cancellationToken)
    {
        var oversized = false;
        while (true)
        {
            var result = await socket.ReceiveAsync(message.GetMemory(4096), cancellationToken).ConfigureAwait(false);
            idle.Touch();
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return (result.MessageType, false);
            }

            message.Advance(result.Count);
            if (message.WrittenCount > limit)
            {
                oversized = true;
                message.ResetWrittenCount();
            }

            if (result.EndOfMessage)
            {
                return (result.MessageType, oversized);
            }
        }
    }
}
