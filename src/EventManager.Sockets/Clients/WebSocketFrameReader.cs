using System.Buffers;
using System.Net.WebSockets;
using System.Runtime.CompilerServices;

namespace EventManager.Sockets;

/// <summary>What the client sent: a whole text frame, or something the protocol does not allow, or the close handshake.</summary>
internal enum ReceivedFrameKind
{
    Text,
    Binary,
    TooBig,
    Close,
}

/// <summary>One item from <see cref="WebSocketFrameReader"/>; <see cref="Text"/> is valid until the next is read.</summary>
internal readonly record struct ReceivedFrame(ReceivedFrameKind Kind, ReadOnlyMemory<byte> Text = default);

/// <summary>
/// Reads one client's WebSocket messages and puts fragments back together, within <see cref="WebSocketBroadcasterOptions.MaxFrameBytes"/>.
/// A message that is whole in one read is handed over without a copy. The enumeration ends when the socket ends or after
/// <see cref="ReceivedFrameKind.Close"/>.
/// </summary>
internal sealed class WebSocketFrameReader(WebSocket socket, int maxFrameBytes)
{
    private const int ReceiveChunk = 4096;

    public async IAsyncEnumerable<ReceivedFrame> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var chunk = ArrayPool<byte>.Shared.Rent(ReceiveChunk);
        ArrayBufferWriter<byte>? message = null;
        var length = 0;
        var discarding = false;
        try
        {
            while (true)
            {
                ValueWebSocketReceiveResult result;
                try
                {
                    // Never cancelled by the connection's lifetime: that would abort the socket before the close handshake.
                    result = await socket.ReceiveAsync(chunk.AsMemory(), CancellationToken.None).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
                {
                    yield break;
                }

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    yield return new ReceivedFrame(ReceivedFrameKind.Close);
                    yield break;
                }

                if (discarding)
                {
                    discarding = !result.EndOfMessage;
                    continue;
                }

                if (result.MessageType == WebSocketMessageType.Binary)
                {
                    (message, length, discarding) = (null, 0, !result.EndOfMessage);
                    yield return new ReceivedFrame(ReceivedFrameKind.Binary);
                    continue;
                }

                length += result.Count;
                if (length > maxFrameBytes)
                {
                    (message, length, discarding) = (null, 0, !result.EndOfMessage);
                    yield return new ReceivedFrame(ReceivedFrameKind.TooBig);
                    continue;
                }

                if (result.EndOfMessage && message is null)
                {
                    length = 0;
                    yield return new ReceivedFrame(ReceivedFrameKind.Text, chunk.AsMemory(0, result.Count));
                    continue;
                }

                message ??= new ArrayBufferWriter<byte>(ReceiveChunk * 2);
                message.Write(chunk.AsSpan(0, result.Count));
                if (result.EndOfMessage)
                {
                    var whole = message.WrittenMemory;
                    (message, length) = (null, 0);
                    yield return new ReceivedFrame(ReceivedFrameKind.Text, whole);
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }
}
