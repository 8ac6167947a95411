namespace EventManager.Tests.Support;

internal static class Events
{
    public static AgentMessageEvent Message(string text = "hello", string agentId = "agent_1") =>
        new(agentId, "CognitivePsychologist", text, new Sentiment(0.5, SentimentLabel.Positive));

    public static CustomEvent Custom(string eventType = "test.event", object? data = null) =>
        CustomEvent.Create(eventType, data ?? new { n = 1 });
}
