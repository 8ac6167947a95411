using EventManager;

namespace PsycheSimulation;

/// <summary>
/// The simulated society: agents of the original design's kinds, the network between them, and what they say. Everything
/// random comes from one seeded <see cref="Random"/>, so the same seed gives the same conversation.
/// </summary>
internal sealed class Conversation
{
    private static readonly string[] Kinds =
    [
        "cognitive_psychologist", "social_psychologist", "neuroscientist", "behavioral_economist",
        "philosopher", "sociologist", "anthropologist", "linguist",
    ];

    private static readonly string[] Openers =
    [
        "I think", "My data suggests", "Consider that", "I doubt that", "It seems clear that", "We keep forgetting that",
        "Experiments show", "I am not convinced that", "Surely", "Historically,",
    ];

    private static readonly string[] Claims =
    [
        "memory is reconstructed every time we recall it", "groups polarise when they only talk to themselves",
        "attention is the scarcest resource we have", "habits beat intentions most of the time",
        "language shapes what we notice", "trust grows slowly and collapses fast", "people overweight vivid evidence",
        "emotions are predictions about the body", "norms spread through weak ties", "curiosity rewards itself",
    ];

    private static readonly string[] Closers = ["", " What do you think?", " We should test it.", " I have seen it twice this week.", " That changes everything."];

    private readonly Random _random;
    private readonly List<Agent> _agents;
    private readonly Dictionary<(int, int), Link> _links = [];
    private readonly Queue<double> _recent = new();
    private int _messages;
    private int _emergencyUntil = -1;

    public Conversation(int agents, int seed, string prefix = "agent")
    {
        _random = new Random(seed);
        _agents = [.. Enumerable.Range(0, agents).Select(i => new Agent($"{prefix}-{i + 1:00}", Kinds[i % Kinds.Length]))];
        for (var i = 0; i < agents; i++)
        {
            Connect(i, (i + 1) % agents, 0.3 + (_random.NextDouble() * 0.4), ConnectionType.Normal);
        }

        for (var extra = 0; extra < agents / 2; extra++)
        {
            var a = _random.Next(agents);
            var b = _random.Next(agents);
            if (a != b)
            {
                Connect(a, b, 0.2 + (_random.NextDouble() * 0.3), ConnectionType.Normal);
            }
        }
    }

    public int AgentCount => _agents.Count;

    /// <summary>One step: a message, and when it is time, a change to the network.</summary>
    public IEnumerable<WebSocketEvent> Next()
    {
        var speakerIndex = _random.Next(_agents.Count);
        var neighbours = _links.Keys.Where(k => k.Item1 == speakerIndex || k.Item2 == speakerIndex).ToList();
        var key = neighbours[_random.Next(neighbours.Count)];
        var listenerIndex = key.Item1 == speakerIndex ? key.Item2 : key.Item1;
        var link = _links[key];
        var speaker = _agents[speakerIndex];
        var listener = _agents[listenerIndex];

        // Strong links argue less; the drift towards agreement is what eventually stalls the conversation.
        var score = Math.Clamp(((_random.NextDouble() * 2) - 1) * (1.1 - link.Strength), -1, 1);
        var label = score > 0.2 ? SentimentLabel.Positive : score < -0.2 ? SentimentLabel.Negative : SentimentLabel.Neutral;
        var text = $"{Openers[_random.Next(Openers.Length)]} {Claims[_random.Next(Claims.Length)]}.{Closers[_random.Next(Closers.Length)]}";
        speaker.Sent++;
        listener.Received++;
        _messages++;
        yield return new AgentMessageEvent(
            speaker.Id,
            speaker.Kind,
            text,
            new Sentiment(Math.Round(score, 3), label),
            EventData.FromObject(new Dictionary<string, object?> { ["to"] = listener.Id, ["round"] = _messages }, "metadata"));

        link.Strength = Math.Clamp(link.Strength + (0.05 * (score >= 0 ? 1 : -1)) + (0.02 * Math.Abs(score)), 0.05, 1);
        _recent.Enqueue(Math.Abs(score));
        if (_recent.Count > 20)
        {
            _recent.Dequeue();
        }

        if (_emergencyUntil >= 0 && _messages >= _emergencyUntil)
        {
            _emergencyUntil = -1;
            foreach (var emergency in _links.Values.Where(l => l.Type == ConnectionType.Emergency))
            {
                emergency.Type = ConnectionType.Normal;
            }

            yield return Update("emergency_resolved");
        }
        else if (_emergencyUntil < 0 && _recent.Count == 20 && _recent.Average() < 0.2)
        {
            // Stagnation: everyone agrees and nothing new is said. Emergency mode links the most isolated agents.
            _emergencyUntil = _messages + 30;
            _recent.Clear();
            var isolated = _agents.Select((agent, index) => (index, degree: _links.Keys.Count(k => k.Item1 == index || k.Item2 == index)))
                .OrderBy(x => x.degree).ThenBy(x => x.index).Take(3).Select(x => x.index).ToList();
            for (var i = 0; i < isolated.Count; i++)
            {
                for (var j = i + 1; j < isolated.Count; j++)
                {
                    Connect(isolated[i], isolated[j], 0.9, ConnectionType.Emergency);
                }
            }

            yield return Update("emergency_mode");
        }
        else if (_messages % 25 == 0)
        {
            var a = _random.Next(_agents.Count);
            var b = _random.Next(_agents.Count);
            if (a != b && !_links.ContainsKey(Key(a, b)))
            {
                Connect(a, b, 0.25, ConnectionType.Normal);
                yield return Update("new_connection");
            }
        }
        else if (_messages % 5 == 0)
        {
            yield return Update("strength_update");
        }
    }

    private NetworkUpdateEvent Update(string kind) => new(
        [.. _links.Select(l => new NetworkConnection(_agents[l.Key.Item1].Id, _agents[l.Key.Item2].Id, Math.Round(l.Value.Strength, 3), true, l.Value.Type))],
        _agents.ToDictionary(a => a.Id, a => new CommunicationStats(a.Sent, a.Received)),
        kind);

    private void Connect(int a, int b, double strength, ConnectionType type)
    {
        var key = Key(a, b);
        if (_links.TryGetValue(key, out var existing))
        {
            existing.Type = type;
            existing.Strength = Math.Max(existing.Strength, strength);
        }
        else
        {
            _links[key] = new Link { Strength = strength, Type = type };
        }
    }

    private static (int, int) Key(int a, int b) => a < b ? (a, b) : (b, a);

    private sealed class Agent(string id, string kind)
    {
        public string Id { get; } = id;

        public string Kind { get; } = kind;

        public int Sent { get; set; }

        public int Received { get; set; }
    }

    private sealed class Link
    {
        public double Strength { get; set; }

        public ConnectionType Type { get; set; }
    }
}
