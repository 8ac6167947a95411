namespace EventManager;

/// <summary>
/// Deliberate defects that the soak switches on one at a time to show that each of its checks can fail
/// (docs/reliability.md, <c>--inject-fault</c>). All are off unless the process sets the AppContext data
/// <c>EventManager.InjectFault</c> to a fault's name before it first uses the library. Each switch is a static read-only
/// field, which the JIT treats as a constant, so a check of one costs nothing when it is off. Compiled into every package
/// that has one of the defects.
/// </summary>
internal static class InjectedFault
{
    private static readonly string? Name = AppContext.GetData("EventManager.InjectFault") as string;

    /// <summary>The Redis mirror silently discards one in 1,000 events it receives from the channel.</summary>
    internal static readonly bool MirrorDrop = Name == "mirror-drop";

    /// <summary>A subscription that resumes leaves the first of its replayed events out and still reports recovery.</summary>
    internal static readonly bool ReplaySkip = Name == "replay-skip";

    /// <summary>A WebSocket client's batch frame carries its last event twice, once in 1,000 frames.</summary>
    internal static readonly bool FrameDuplicate = Name == "frame-duplicate";

    /// <summary>A gap frame reports one event fewer than the client's queue dropped.</summary>
    internal static readonly bool GapMiscount = Name == "gap-miscount";
}
