using System.Buffers;
using System.Text.Json;

namespace EventManager.Serialization;

/// <summary>
/// A reusable buffer and JSON writer per thread, so producing an event's bytes allocates only the bytes kept. Taken and
/// given back around each use: a use nested inside another (a custom converter building an event) gets a fresh pair.
/// </summary>
internal sealed class Utf8Scratch
{
    private const int MaxRetainedBytes = 64 * 1024;

    [ThreadStatic]
    private static Utf8Scratch? t_cached;

    private readonly ArrayBufferWriter<byte> _buffer = new(1024);

    // Validating: what is written here is kept and later written out raw, so a converter that writes malformed JSON must
    // fail here, where the caller is told, rather than reach every client.
    private Utf8Scratch() => Writer = new Utf8JsonWriter(_buffer);

    public Utf8JsonWriter Writer { get; }

    /// <summary>What was written since <see cref="Take"/>, once <see cref="Writer"/> is flushed; valid until <see cref="Return"/>.</summary>
    public ReadOnlySpan<byte> Written
    {
        get
        {
            Writer.Flush();
            return _buffer.WrittenSpan;
        }
    }

    public static Utf8Scratch Take()
    {
        var scratch = t_cached ?? new Utf8Scratch();
        t_cached = null;
        scratch._buffer.ResetWrittenCount();
        scratch.Writer.Reset(scratch._buffer);
        return scratch;
    }

    /// <summary>Gives the pair back for the thread's next use, unless an unusually large value grew it.</summary>
    public void Return()
    {
        if (_buffer.Capacity <= MaxRetainedBytes)
        {
            t_cached = this;
        }
    }

    /// <summary>Runs <paramref name="write"/> on this thread's writer and keeps what it wrote in a shared slab (<see cref="Utf8Slab"/>).</summary>
    public static ReadOnlyMemory<byte> Keep<TState>(TState state, Action<Utf8JsonWriter, TState> write) =>
        Write(state, write, static json => Utf8Slab.Keep(json));

    /// <summary>Runs <paramref name="write"/> on this thread's writer and returns what it wrote, as a new array.</summary>
    /// <remarks>A static lambda and a state struct keep the call free of allocations but the array itself.</remarks>
    public static byte[] ToArray<TState>(TState state, Action<Utf8JsonWriter, TState> write) =>
        Write(state, write, static json => json.ToArray());

    /// <summary>Runs <paramref name="write"/> on this thread's writer and hands what it wrote to <paramref name="keep"/>, which copies it.</summary>
    private static TResult Write<TState, TResult>(TState state, Action<Utf8JsonWriter, TState> write, Func<ReadOnlySpan<byte>, TResult> keep)
    {
        var scratch = Take();
        try
        {
            write(scratch.Writer, state);
            return keep(scratch.Written);
        }
        finally
        {
            scratch.Return();
        }
    }
}
