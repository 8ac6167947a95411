using System.Collections.Concurrent;

namespace EventManager.Tests.Support;

/// <summary>
/// Stalls a manager's dispatcher deterministically: a Wait listener of capacity 1 whose handler blocks on a gate
/// holds one event in the handler and one in its queue, and the dispatcher waits to hand it a third. Further
/// publishes then stay in the ingress queue until <see cref="Release"/>.
/// </summary>
internal sealed class StalledDispatcher
{
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private StalledDispatcher()
    {
    }

    /// <summary>Sequence numbers the blocked listener handled, in order.</summary>
    public ConcurrentQueue<long> Seen { get; } = new();

    public static async Task<StalledDispatcher> StallAsync(WebSocketEventManager manager)
    {
        var stall = new StalledDispatcher();
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        manager.AddListener(
            e =>
            {
                entered.TrySetResult();
                stall._released.Task.Wait();
                stall.Seen.Enqueue(e.Sequence);
            },
            new ListenerOptions { Capacity = 1, OverflowPolicy = OverflowPolicy.Wait });
        var before = manager.GetMetrics().Dispatched;
        manager.Publish(Events.Custom());
        await Eventually.Within(entered.Task, "the handler holds the first event");
        manager.Publish(Events.Custom());
        manager.Publish(Events.Custom());
        await Eventually.Until(() => manager.GetMetrics().Dispatched == before + 3, "the dispatcher waits on the full listener");
        return stall;
    }

    public void Release() => _released.TrySetResult();
}
