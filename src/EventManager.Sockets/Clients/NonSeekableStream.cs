namespace EventManager.Sockets;

/// <summary>
/// The members a stream over a connection does not have (a length, a position, seeking), answered once for every such
/// stream here; a derived stream says only how it reads and writes.
/// </summary>
internal abstract class NonSeekableStream : Stream
{
    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
