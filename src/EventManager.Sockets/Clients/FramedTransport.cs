using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace EventManager.Sockets;

/// <summary>
/// The upgraded connection under a server WebSocket, shared by the socket (which writes its control frames, its close frame and
/// anything compressed through it) and the client's sender, which writes uncompressed data frames here itself, header included.
/// Writes are taken one whole frame at a time, so the two never interleave inside a frame; reads pass straight through.
/// </summary>
/// <remarks>
/// A WebSocket copies every payload into a buffer of its own to put the header in front (benchmarks/README.md measured that copy
/// as the largest single cost of one client's send path); a frame written here is built behind room left for its header, so it
/// goes to the transport as it is.
/// </remarks>
internal sealed class FramedTransport(Stream transport) : Stream
{
    /// <summary>Room to leave in front of a payload: the longest header of an unmasked frame (2 bytes, then a 64-bit length).</summary>
    public const int HeaderRoom = 10;

    // One frame at a time, whoever writes it.
    private readonly SemaphoreSlim _writing = new(1, 1);

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    /// <summary>
    /// Writes one final text frame whose payload follows <see cref="HeaderRoom"/> bytes of <paramref name="frame"/>; the header is
    /// written into the end of that room. Completes without an allocation when the transport takes the frame at once.
    /// </summary>
    public ValueTask WriteTextFrameAsync(Memory<byte> frame)
    {
        var start = WriteHeader(frame.Span);
        return WriteWholeAsync(frame[start..], CancellationToken.None);
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        WriteWholeAsync(buffer, cancellationToken);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteWholeAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) =>
        WriteWholeAsync(buffer.AsMemory(offset, count), CancellationToken.None).AsTask().GetAwaiter().GetResult();

    public override async Task FlushAsync(CancellationToken cancellationToken)
    {
        // A flush between another writer's write and its own flush is harmless, but not two callers in the transport at once.
        await _writing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await transport.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writing.Release();
        }
    }

    public override void Flush() => FlushAsync(CancellationToken.None).GetAwaiter().GetResult();

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        transport.ReadAsync(buffer, cancellationToken);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        transport.ReadAsync(buffer, offset, count, cancellationToken);

    public override int Read(byte[] buffer, int offset, int count) => transport.Read(buffer, offset, count);

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            transport.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <summary>Writes the header of a final, unmasked text frame at the end of the room in front of the payload; returns where it starts.</summary>
    internal static int WriteHeader(Span<byte> frame)
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

    private ValueTask WriteWholeAsync(ReadOnlyMemory<byte> frame, CancellationToken cancellationToken)
    {
        if (!_writing.Wait(0, CancellationToken.None))
        {
            return WaitThenWriteAsync(frame, cancellationToken);
        }

        ValueTask writing;
        try
        {
            writing = transport.WriteAsync(frame, cancellationToken);
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

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask WaitThenWriteAsync(ReadOnlyMemory<byte> frame, CancellationToken cancellationToken)
    {
        await _writing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await transport.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
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
