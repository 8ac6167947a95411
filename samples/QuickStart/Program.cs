using EventManager;

await using var manager = new WebSocketEventManager();

// Every event, printed as the JSON that sockets and Redis carry.
var printed = 0;
var allPrinted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
var printer = manager.AddListener(evt =>
{
    Console.WriteLine(evt.ToJson());
    if (++printed == 4)
    {
        allPrinted.SetResult();
    }
});

// Agent events only, handled asynchronously on the listener's own loop.
manager.AddListener(
    async (evt, ct) => await Console.Out.WriteLineAsync($"agent event #{evt.Sequence}"),
    new ListenerOptions { EventTypes = ["agent_message", "voice.*"] });

manager.BroadcastAgentMessage("agent_1", "CognitivePsychologist", "I believe we should explore...",
    new Sentiment(0.75, SentimentLabel.Positive), new Dictionary<string, object?> { ["interaction_count"] = 5 });
manager.BroadcastNetworkUpdate(
    [new NetworkConnection("agent_1", "agent_2", 0.8, isActive: true, ConnectionType.Normal)],
    new Dictionary<string, CommunicationStats> { ["agent_1"] = new(10, 5) }, "message_sent");
manager.BroadcastSystemStatus(SystemHealthStatus.Healthy,
    new Dictionary<string, double> { ["cpu_percent"] = 45.2, ["memory_percent"] = 62.1 },
    activeAgents: 5, errorCount: 0);
await manager.PublishAsync(CustomEvent.Create("session.connected", new { user = "ada" }));

// Publishing only queues an event. Removing the printer now would drop what it has not handled yet
// (counted as dropped), so wait until it has printed all four.
await allPrinted.Task;
manager.RemoveListener(printer);
Console.WriteLine(manager.GetMetrics());
// DisposeAsync (via await using) delivers everything accepted, then stops.
