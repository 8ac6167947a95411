namespace EventManager.Tests.Support;

/// <summary>Events of type <c>load</c> numbered in <c>data.n</c>, for tests that check every one arrives once and in order.</summary>
internal static class NumberedLoad
{
    /// <summary>
    /// Publishes events numbered <paramref name="from"/> up to <paramref name="to"/> on another thread. Resume tests publish in
    /// phases tied to what the client has seen, so the drop lands mid-stream: some events sent before it, some published
    /// while the client is away (replayed), and the rest live after the resume, racing the replay's tail.
    /// </summary>
    public static Task PublishAsync(WebSocketEventManager manager, int from, int to) => Task.Run(() =>
    {
        for (var i = from; i < to; i++)
        {
            manager.Publish(CustomEvent.Create("load", new { n = i }));
        }
    });
}
