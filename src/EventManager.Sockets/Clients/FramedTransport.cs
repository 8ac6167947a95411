using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Runtime.CompilerServices;

namespace EventManager.Sockets;

/// <summary>
/// The upgraded connection under a server WebSocket, shared by the socket (which writes its control frames and its close frame
/// through it) and the client's sender, which writes uncompressed text frames here itself, header included. Writes are taken
/// one whole frame at a time, so the two never interleave inside a frame; reads pass straight through.
/// </summary>
/// <remarks>
/// A WebSocket copies every payload into a buffer of its own to put the header in front (benchmarks/README.md measured that copy
/// as the largest single cost of one client's send path); a frame written here is built behind room left for its header, so it
/// goes to the transport as it is.
/// </remarks>
internal sealed class FramedTransport : NonSeekableStream
{
    /// <summary>Room to leave in front of a payload: the longest header of an unmasked frame (2 bytes, then a 64-bit length).</summary>
    public const int HeaderRoom = 10;

    // The first byte of a close frame: FIN and the close opcode (control frames are never fragmented or compressed).
    private const byte CloseFrameStart = 0x88;

    private readonly Stream _transport;
    private readonly Action _abortConnection;

    // One frame at a time, whoever writes it.
    private readonly SemaphoreSlim _writing = new(1, 1);

    // Set once, when the socket over this transport is made; read when it disposes this transport.
    private WebSocket? _socket;

    private int _disposed;

    // Under the gate: whether the socket has written its close frame.
    private bool _closeWritten;

    private FramedTransport(Stream transport, Action abortConnection)
    {
        _transport = transport;
        _abortConnection = abortConnection;
    }

    /// <summary>
    /// A server WebSocket over <paramref name="transport"/>, and the transport to write its frames to directly.
    /// <paramref name="abortConnection"/> ends the connection itself when the socket is let go of before its close handshake
    /// finished (aborted, or disposed while open): disposing an upgraded HTTP stream, as the socket does, does not, so neither
    /// a write waiting for a client that stopped reading nor the receive would ever end (ASP.NET Core's own accept does the same).
    /// </summary>
    public static (WebSocket Socket, FramedTransport Transport) CreateServerSocket(Stream transport, Action abortConnection, TimeSpan keepAliveInterval, TimeSpan keepAliveTimeout)
    {
        var framed = new FramedTransport(transport, abortConnection);
        var socket = WebSocket.CreateFromStream(framed, new WebSocketCreationOptions
        {
            IsServer = true,
            KeepAliveInterval = keepAliveInterval,
            KeepAliveTimeout = keepAliveTimeout,
        });
        framed._socket = socket;
        return (socket, framed);
    }

    public override bool CanRead => true;

    public override bool CanWrite => true;

    /// <summary>
    /// Writes one final text frame whose payload follows <see cref="HeaderRoom"/> bytes of <paramref name="frame"/>; the header is
    /// written into the end of that room. Completes without an allocation when the transport takes the frame at once.
    /// </summary>
    public ValueTask WriteTextFrameAsync(Memory<byte> frame)
    {
        Debug.Assert(frame.Length >= HeaderRoom, "the frame starts with the room for its header");
        var start = WriteHeader(frame.Span);
        return WriteWholeAsync(frame[start..], data: true, CancellationToken.None);
    }

    /// <summary>Whether the transport was let go of: a write it reported done since may never have reached the client.</summary>
    public bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        WriteWholeAsync(buffer, data: false, cancellationToken);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteWholeAsync(buffer.AsMemory(offset, count), data: false, cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) =>
        WriteWholeAsync(buffer.AsMemory(offset, count), data: false, CancellationToken.None).AsTask().GetAwaiter().GetResult();

    public override async Task FlushAsync(CancellationToken cancellationToken)
    {
        // A flush between another writer's write and its own flush is harmless, but not two callers in the transport at once.
        await _writing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _transport.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writing.Release();
        }
    }

    public override void Flush() => FlushAsync(CancellationToken.None).GetAwaiter().GetResult();

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        _transport.ReadAsync(buffer, cancellationToken);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        _transport.ReadAsync(buffer, offset, count, cancellationToken);

    public override int Read(byte[] buffer, int offset, int count) => _transport.Read(buffer, offset, count);

    protected override void Dispose(bool disposing)
    {
        if (disposing && Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            if (_socket?.State != WebSocketState.Closed)
            {
                _abortConnection();
            }

            _transport.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <summary>Writes the header of a final, unmasked text frame at the end of the room in front of the payload; returns where it starts.</summary>
    private static int WriteHeader(Span<byte> frame)
    {
        var payload = frame.Length - HeaderRoom;
        int start;
        if (payload < 126)
        {
            start = HeaderRoom - 2;
            frame[start + 1] = (byte)payload;
        }
        else if (payload <= ushort.MaxValue)
        {
            start = HeaderRoom - 4;
            frame[start + 1] = 126;
            BinaryPrimitives.WriteUInt16BigEndian(frame[(start + 2)..], (ushort)payload);
        }
        else
        {
            start = 0;
            frame[1] = 127;
            BinaryPrimitives.WriteUInt64BigEndian(frame[2..], (ulong)payload);
        }

        // FIN, and the text opcode.
        frame[start] = 0x81;
        return start;
    }

    private ValueTask WriteWholeAsync(ReadOnlyMemory<byte> frame, bool data, CancellationToken cancellationToken)
    {
        // The transport takes writes after its connection was aborted and reports them done: refuse them instead.
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        if (!_writing.Wait(0, CancellationToken.None))
        {
            return WaitThenWriteAsync(frame, data, cancellationToken);
        }

        ValueTask writing;
        try
        {
            writing = WriteHeld(frame, data, cancellationToken);
        }
        catch
        {
            _writing.Release();
            throw;
        }

        if (!writing.IsCompleted)
        {
            return FinishAsync(writing);
        }

        try
        {
            writing.GetAwaiter().GetResult();
        }
        finally
        {
            _writing.Release();
        }

        return default;
    }

    /// <summary>
    /// Under the gate. The socket writes its own close frame without the sender's lock (after a protocol error, say), and nothing
    /// may follow a close frame: a data frame that was waiting behind it is refused.
    /// </summary>
    private ValueTask WriteHeld(ReadOnlyMemory<byte> frame, bool data, CancellationToken cancellationToken)
    {
        if (data)
        {
            if (_closeWritten)
            {
                throw new InvalidOperationException("The socket has sent its close frame.");
            }
        }
        else if (!frame.IsEmpty && frame.Span[0] == CloseFrameStart)
        {
            _closeWritten = true;
        }

        return _transport.WriteAsync(frame, cancellationToken);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask WaitThenWriteAsync(ReadOnlyMemory<byte> frame, bool data, CancellationToken cancellationToken)
    {
        await _writing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await WriteHeld(frame, data, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writing.Release();
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask FinishAsync(ValueTask writing)
    {
        try
        {
            await writing.ConfigureAwait(false);
        }
        finally
        {
            _writing.Release();
        }
    }
}
