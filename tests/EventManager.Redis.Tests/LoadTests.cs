using EventManager.Redis.Tests.Support;

namespace EventManager.Redis.Tests;

[TestFixture]
public sealed class LoadTests
{
    private const int PublishersPerInstance = 2;
    private const int EventsPerPublisher = 25_000;

    [TearDown]
    public void ReportLogsIfFailed() => MirroredInstance.ReportIfFailed();

    [Test]
    public async Task Publish_100000EventsFromTwoInstances_EachCrossesOnceInPublisherOrder()
    {
        await using var server = await RedisServer.StartAsync();
        var channel = "load:" + Guid.NewGuid().ToString("N");
        await using var a = await MirroredInstance.StartAsync(server.Configuration, o => o.Channel = channel, "instance-a");
        await using var b = await MirroredInstance.StartAsync(server.Configuration, o => o.Channel = channel, "instance-b");

        await Task.WhenAll(PublishAll(a, "a"), PublishAll(b, "b"));

        const int expected = PublishersPerInstance * EventsPerPublisher;
        await Eventually.Until(() => b.ReceivedFrom(a).Count() >= expected && a.ReceivedFrom(b).Count() >= expected, "every event crossed", TimeSpan.FromMinutes(3));
        // The echoes and the publishes' replies come back on different connections, in either order.
        await Eventually.Until(
            () => new[] { a, b }.All(i => i.Mirror.GetMetrics() is var m && m.EchoesSuppressed == expected && m.MirroredOut >= expected),
            "every echo came back and every write was confirmed");

        AssertExactlyOnceInOrder(b.ReceivedFrom(a).Cast<AgentMessageEvent>().ToList(), "a");
        AssertExactlyOnceInOrder(a.ReceivedFrom(b).Cast<AgentMessageEvent>().ToList(), "b");
        foreach (var instance in new[] { a, b })
        {
            var metrics = instance.Mirror.GetMetrics();
            Assert.Multiple(() =>
            {
                Assert.That(metrics.MirroredOut, Is.EqualTo(expected));
                Assert.That(metrics.MirroredIn, Is.EqualTo(expected));
                Assert.That(metrics.OutboundDropped, Is.Zero);
                Assert.That(metrics.InboundDropped, Is.Zero);
                Assert.That(metrics.MalformedInbound, Is.Zero);
            });
        }
    }

    private static Task PublishAll(MirroredInstance instance, string name) =>
        Task.WhenAll(Enumerable.Range(0, PublishersPerInstance).Select(p => Task.Run(() =>
        {
            for (var i = 0; i < EventsPerPublisher; i++)
            {
                instance.Manager.BroadcastAgentMessage($"{name}-{p}", "load", i.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
        })));

    private static void AssertExactlyOnceInOrder(List<AgentMessageEvent> received, string name)
    {
        Assert.That(received.Select(e => e.EventId).Distinct().Count(), Is.EqualTo(received.Count), "no event was delivered twice");
        for (var p = 0; p < PublishersPerInstance; p++)
        {
            var publisher = $"{name}-{p}";
            var numbers = received.Where(e => e.AgentId == publisher).Select(e => int.Parse(e.Message, System.Globalization.CultureInfo.InvariantCulture)).ToList();
            Assert.That(numbers, Is.EqualTo(Enumerable.Range(0, EventsPerPublisher)), $"publisher {publisher}'s events arrived once each, in order");
        }
    }
}
