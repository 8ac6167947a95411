// Publishes the seed's three typed events and a custom one to a listener that prints their JSON,
// then shows the manager's counters and shuts down cleanly.
using EventManager;

await using var manager = new WebSocketEventManager(new EventManagerOptions { InstanceId = "sample" });

var printed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
var count = 0;
var listenerId = manager.AddListener(evt =>
{
    Console.WriteLine($"#{evt.Sequence} {evt.EventType}");
    Console.WriteLine(evt.ToJson());
    Console.WriteLine();
    if (Interlocked.Increment(ref count) == 4)
    {
        printed.SetResult();
    }
});

manager.BroadcastAgentMessage(
    "agent_1",
    "CognitivePsychologist",
    "I believe we should explore...",
    new Sentiment(0.75, SentimentLabel.Positive),
    new Dictionary<string, object?> { ["interaction_count"] = 5, ["has_memory"] = true });

manager.BroadcastNetworkUpdate(
    [new NetworkConnection("agent_1", "agent_2", 0.8, isActive: true, ConnectionType.Normal)],
    new Dictionary<string, CommunicationStats> { ["agent_1"] = new(10, 5), ["agent_2"] = new(5, 10) },
    "message_sent",
    new Dictionary<string, object?> { ["queue_size"] = 3, ["sentiment"] = 0.6 });

manager.BroadcastSystemStatus(
    SystemHealthStatus.Healthy,
    new Dictionary<string, double> { ["cpu_percent"] = 45.2, ["memory_percent"] = 62.1, ["thread_count"] = 12 },
    activeAgents: 5,
    errorCount: 0,
    new Dictionary<string, object?> { ["node"] = "simulation-1", ["uptime"] = 3600 });

manager.Publish(CustomEvent.Create("session.connected", new { session_id = "s-42", user = "ada" }));

await printed.Task.WaitAsync(TimeSpan.FromSeconds(10));
manager.RemoveListener(listenerId);

var metrics = manager.GetMetrics();
Console.WriteLine($"published={metrics.Published} delivered={metrics.Delivered} dropped={metrics.Dropped} errors={metrics.ListenerErrors}");
