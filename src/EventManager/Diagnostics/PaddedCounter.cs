using System.Runtime.InteropServices;

namespace EventManager.Diagnostics;

/// <summary>
/// A counter alone on its cache line. A counter one thread writes for every event must not share a line with
/// fields another thread reads or writes for every event, or each write evicts that thread's copy.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 192)]
internal struct PaddedCounter
{
    [FieldOffset(64)]
    public long Value;

    [FieldOffset(72)]
    public int State;
}
