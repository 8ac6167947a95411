using EventManager.Tests.Support;

namespace EventManager.Tests;

public class ValidationTests
{
    private static readonly Dictionary<string, double> Metrics = new() { ["cpu_percent"] = 1, ["memory_percent"] = 1 };

    private static IEnumerable<TestCaseData> BadBroadcasts()
    {
        yield return Case("empty agent id", "agentId", m => m.BroadcastAgentMessage("", "t", "m"));
        yield return Case("blank agent type", "agentType", m => m.BroadcastAgentMessage("a", " ", "m"));
        yield return Case("null message", "message", m => m.BroadcastAgentMessage("a", "t", null!));
        yield return Case("score above 1", "score", m => m.BroadcastAgentMessage("a", "t", "m", new Sentiment(1.5, SentimentLabel.Positive)));
        yield return Case("score below -1", "score", m => m.BroadcastAgentMessage("a", "t", "m", new Sentiment(-1.01, SentimentLabel.Negative)));
        yield return Case("NaN score", "score", m => m.BroadcastAgentMessage("a", "t", "m", new Sentiment(double.NaN, SentimentLabel.Neutral)));
        yield return Case("undefined label", "label", m => m.BroadcastAgentMessage("a", "t", "m", new Sentiment(0, (SentimentLabel)9)));
        yield return Case("cyclic metadata", "metadata", m => m.BroadcastAgentMessage("a", "t", "m", metadata: new Dictionary<string, object?> { ["self"] = Cycle() }));
        yield return Case("NaN metadata", "metadata", m => m.BroadcastAgentMessage("a", "t", "m", metadata: new Dictionary<string, object?> { ["x"] = double.NaN }));
        yield return Case("delegate metadata", "metadata", m => m.BroadcastAgentMessage("a", "t", "m", metadata: new Dictionary<string, object?> { ["f"] = (Action)(() => { }) }));
        yield return Case("strength above 1", "strength", m => m.BroadcastNetworkUpdate([new NetworkConnection("a", "b", 1.2, true, ConnectionType.Normal)]));
        yield return Case("negative strength", "strength", m => m.BroadcastNetworkUpdate([new NetworkConnection("a", "b", -0.1, true, ConnectionType.Normal)]));
        yield return Case("undefined connection type", "type", m => m.BroadcastNetworkUpdate([new NetworkConnection("a", "b", 0.5, true, (ConnectionType)7)]));
        yield return Case("empty endpoint", "from", m => m.BroadcastNetworkUpdate([new NetworkConnection("", "b", 0.5, true, ConnectionType.Normal)]));
        yield return Case("negative sent", "sent", m => m.BroadcastNetworkUpdate([], new Dictionary<string, CommunicationStats> { ["a"] = new(-1, 0) }));
        yield return Case("null connection", "connections", m => m.BroadcastNetworkUpdate([null!]));
        yield return Case("blank update type", "eventType", m => m.BroadcastNetworkUpdate([], eventType: " "));
        yield return Case("unserialisable details", "details", m => m.BroadcastNetworkUpdate([], details: new Dictionary<string, object?> { ["x"] = double.PositiveInfinity }));
        yield return Case("undefined health", "healthStatus", m => m.BroadcastSystemStatus((SystemHealthStatus)5, Metrics, 0, 0));
        yield return Case("negative agents", "activeAgents", m => m.BroadcastSystemStatus(SystemHealthStatus.Healthy, Metrics, -1, 0));
        yield return Case("negative errors", "errorCount", m => m.BroadcastSystemStatus(SystemHealthStatus.Healthy, Metrics, 0, -3));
        yield return Case("missing cpu", "performanceMetrics", m => m.BroadcastSystemStatus(SystemHealthStatus.Healthy, new Dictionary<string, double> { ["memory_percent"] = 1 }, 0, 0));
        yield return Case("infinite metric", "performanceMetrics", m => m.BroadcastSystemStatus(SystemHealthStatus.Healthy, new Dictionary<string, double> { ["cpu_percent"] = double.PositiveInfinity, ["memory_percent"] = 1 }, 0, 0));
    }

    [TestCaseSource(nameof(BadBroadcasts))]
    public async Task Broadcast_InvalidArgument_ThrowsNamingParameterAndEnqueuesNothing(string param, Action<WebSocketEventManager> broadcast)
    {
        await using var manager = new WebSocketEventManager();

        var ex = Assert.Catch<ArgumentException>(() => broadcast(manager));

        Assert.That(ex!.ParamName, Is.EqualTo(param));
        Assert.That(manager.GetMetrics().Published, Is.Zero);
    }

    [TestCase("")]
    [TestCase("agent_message")]
    [TestCase("bad\ntype")]
    public void CustomEvent_InvalidType_ThrowsNamingEventType(string eventType)
    {
        var ex = Assert.Catch<ArgumentException>(() => _ = new CustomEvent(eventType));

        Assert.That(ex!.ParamName, Is.EqualTo("eventType"));
    }

    [Test]
    public void CustomEvent_UnserialisableData_ThrowsNamingData()
    {
        var ex = Assert.Catch<ArgumentException>(() => CustomEvent.Create("x", new { f = double.NaN }));

        Assert.That(ex!.ParamName, Is.EqualTo("data"));
    }

    [TestCase(0, "Capacity")]
    [TestCase(-5, "Capacity")]
    public async Task AddListener_InvalidCapacity_ThrowsNamingOption(int capacity, string param)
    {
        await using var manager = new WebSocketEventManager();

        var ex = Assert.Catch<ArgumentException>(() => manager.AddListener(_ => { }, new ListenerOptions { Capacity = capacity }));

        Assert.That(ex!.ParamName, Is.EqualTo(param));
        Assert.That(manager.ListenerCount, Is.Zero);
    }

    [TestCase("voice.*.x")]
    [TestCase("*voice")]
    [TestCase("")]
    public async Task AddListener_InvalidEventTypePattern_ThrowsNamingEventTypes(string pattern)
    {
        await using var manager = new WebSocketEventManager();

        var ex = Assert.Catch<ArgumentException>(() => manager.AddListener(_ => { }, new ListenerOptions { EventTypes = [pattern] }));

        Assert.That(ex!.ParamName, Is.EqualTo("EventTypes"));
    }

    [Test]
    public async Task AddListener_UndefinedPolicy_ThrowsNamingOverflowPolicy()
    {
        await using var manager = new WebSocketEventManager();

        var ex = Assert.Catch<ArgumentException>(() => manager.AddListener(_ => { }, new ListenerOptions { OverflowPolicy = (OverflowPolicy)9 }));

        Assert.That(ex!.ParamName, Is.EqualTo("OverflowPolicy"));
    }

    [TestCase(nameof(EventManagerOptions.IngressCapacity))]
    [TestCase(nameof(EventManagerOptions.ShutdownTimeout))]
    [TestCase(nameof(EventManagerOptions.InstanceId))]
    [TestCase(nameof(EventManagerOptions.IngressOverflowPolicy))]
    public void Constructor_InvalidOption_ThrowsNamingIt(string option)
    {
        var options = new EventManagerOptions();
        switch (option)
        {
            case nameof(EventManagerOptions.IngressCapacity): options.IngressCapacity = 0; break;
            case nameof(EventManagerOptions.ShutdownTimeout): options.ShutdownTimeout = TimeSpan.Zero; break;
            case nameof(EventManagerOptions.InstanceId): options.InstanceId = " "; break;
            default: options.IngressOverflowPolicy = (OverflowPolicy)(-1); break;
        }

        var ex = Assert.Catch<ArgumentException>(() => _ = new WebSocketEventManager(options));

        Assert.That(ex!.ParamName, Is.EqualTo(option));
    }

    private static TestCaseData Case(string name, string param, Action<WebSocketEventManager> broadcast) =>
        new TestCaseData(param, broadcast).SetArgDisplayNames(name);

    private static Dictionary<string, object?> Cycle()
    {
        var node = new Dictionary<string, object?>();
        node["next"] = node;
        return node;
    }
}
