namespace EventManager.Benchmarks;

/// <summary>The events the throughput and latency measurements publish, made before the clock starts.</summary>
internal static class ReadyEvents
{
    /// <summary>
    /// <paramref name="count"/> new <c>agent_message</c> events: an event instance is published once, so every measurement
    /// needs its own.
    /// </summary>
    public static WebSocketEvent[] Create(int count)
    {
        var events = new WebSocketEvent[count];
        for (var i = 0; i < count; i++)
        {
            events[i] = new AgentMessageEvent("agent_1", "CognitivePsychologist", "hello");
        }

        return events;
    }
}
