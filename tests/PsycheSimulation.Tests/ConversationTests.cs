using EventManager;

namespace PsycheSimulation.Tests;

public sealed class ConversationTests
{
    [Test]
    public void Next_SameSeed_GivesTheSameConversation()
    {
        var first = Transcript(seed: 7);
        var second = Transcript(seed: 7);

        Assert.That(second, Is.EqualTo(first));
    }

    [Test]
    public void Next_AnotherSeed_GivesAnotherConversation()
    {
        Assert.That(Transcript(seed: 7), Is.Not.EqualTo(Transcript(seed: 8)));
    }

    [Test]
    public void Next_LongEnough_ChangesTheNetworkAndSometimesEntersEmergencyMode()
    {
        var conversation = new Conversation(8, 42);
        var kinds = Enumerable.Range(0, 2000).SelectMany(_ => conversation.Next()).OfType<NetworkUpdateEvent>().Select(e => e.UpdateType).ToHashSet();

        Assert.That(kinds, Is.SupersetOf(new[] { "strength_update", "new_connection", "emergency_mode", "emergency_resolved" }));
    }

    private static List<string> Transcript(int seed)
    {
        var conversation = new Conversation(8, seed);
        return [.. Enumerable.Range(0, 200).SelectMany(_ => conversation.Next()).Select(e => e switch
        {
            AgentMessageEvent m => $"{m.AgentId}:{m.Message}:{m.Sentiment.Score}",
            NetworkUpdateEvent n => $"{n.UpdateType}:{n.Connections.Count}",
            _ => e.EventType,
        })];
    }
}
