using EventManager.Redis.Tests.Support;

namespace EventManager.Redis.Tests;

/// <summary>The order a foreign publisher sends in is the order every instance delivers, at full speed and with default options.</summary>
[TestFixture]
public sealed class OrderingTests
{
    private const int Count = 100_000;

    [TearDown]
    public void ReportLogsIfFailed() => MirroredInstance.ReportIfFailed();

    [Test]
    public async Task Receive_100000NumberedEventsFromRedisCli_DeliversThemInPublishOrder()
    {
        await using var server = await RedisServer.StartAsync();
        var channel = "order:" + Guid.NewGuid().ToString("N");
        await using var instance = await MirroredInstance.StartAsync(server.Configuration, o => o.Channel = channel);

        var summary = await server.CliPipeAsync(Enumerable.Range(0, Count).Select(i => new[] { "PUBLISH", channel, $$$"""{"event_type":"numbered","event_id":"n-{{{i}}}","data":{"n":{{{i}}}}}""" }));
        await Eventually.Until(() => instance.Received.Count >= Count, "every event was delivered", TimeSpan.FromMinutes(2));

        Assert.Multiple(() =>
        {
            Assert.That(summary, Does.Contain($"errors: 0, replies: {Count}"));
            Assert.That(instance.Received.Select(e => e.EventId), Is.EqualTo(Enumerable.Range(0, Count).Select(i => $"n-{i}")), "delivered exactly once each, in the order redis-cli published them");
            Assert.That(instance.Mirror.GetMetrics().InboundDropped, Is.Zero);
        });
    }
}
