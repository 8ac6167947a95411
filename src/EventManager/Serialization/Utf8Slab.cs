namespace EventManager.Serialization;

/// <summary>
/// Where published events keep their JSON: many events' bytes side by side in one large array per thread, instead of an array
/// each. An event's JSON lives as long as the event (in the history, in every queue it waits in), so under load each one used
/// to be copied from generation to generation by the garbage collector; arrays this large live on the large-object heap,
/// which the frequent collections neither copy nor walk object by object (benchmarks/README.md).
/// </summary>
/// <remarks>
/// A slab stays reachable while any event in it is: at most one slab's worth (128 KB) kept for a single long-lived event, and
/// one partly filled slab per thread that serialises events.
/// </remarks>
internal static class Utf8Slab
{
    private const int SlabBytes = 128 * 1024;

    // Larger JSON gets an array of its own, so a rare large event neither wastes the rest of a slab nor starts a new one.
    private const int MaxSharedBytes = 8 * 1024;

    [ThreadStatic]
    private static byte[]? t_slab;

    [ThreadStatic]
    private static int t_used;

    /// <summary>A copy of <paramref name="json"/> that is never written again.</summary>
    public static ReadOnlyMemory<byte> Keep(ReadOnlySpan<byte> json)
    {
        if (json.Length > MaxSharedBytes)
        {
            return json.ToArray();
        }

        var slab = t_slab;
        var offset = t_used;
        if (slab is null || slab.Length - offset < json.Length)
        {
            // Zeroed, not left uninitialised: whoever reaches the whole array behind a slice sees other events' JSON and zeros,
            // never stale memory.
            slab = t_slab = new byte[SlabBytes];
            offset = 0;
        }

        json.CopyTo(slab.AsSpan(offset));
        t_used = offset + json.Length;
        return new ReadOnlyMemory<byte>(slab, offset, json.Length);
    }
}
