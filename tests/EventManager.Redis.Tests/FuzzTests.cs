using EventManager.Redis.Tests.Support;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace EventManager.Redis.Tests;

/// <summary>Tens of thousands of mutated messages on the channel: the subscription lives on and nothing is logged as an error.</summary>
[TestFixture]
public sealed class FuzzTests
{
    private const int Messages = 20_000;

    [Test]
    public async Task Subscription_MutatedMessages_SurvivesAndDeliversTheNextValidEvent()
    {
        await using var server = await RedisServer.StartAsync();
        var channel = "fuzz:" + Guid.NewGuid().ToString("N");
        await using var instance = await MirroredInstance.StartAsync(server.Configuration, o => o.Channel = channel);
        using var raw = await ConnectionMultiplexer.ConnectAsync(server.Configuration);
        var publisher = raw.GetSubscriber();
        var mutator = new Mutator(Mutator.SeedFromEnvironment(), [Events.Message("fuzz me").ToJson(), Events.Custom("tool_call", new { tool_name = "Edit" }).ToJson()]);

        var writes = new List<Task>(Messages);
        for (var i = 0; i < Messages; i++)
        {
            writes.Add(publisher.PublishAsync(RedisChannel.Literal(channel), mutator.Next()));
        }

        await Task.WhenAll(writes);
        await publisher.PublishAsync(RedisChannel.Literal(channel), """{"event_type":"marker","event_id":"after-the-fuzz","data":{}}""");

        await Eventually.Until(() => instance.Received.Any(e => e.EventId == "after-the-fuzz"), "the valid event after the fuzz arrived", TimeSpan.FromMinutes(2));
        var metrics = instance.Mirror.GetMetrics();
        Assert.Multiple(() =>
        {
            Assert.That(metrics.Health, Is.EqualTo(RedisMirrorHealth.Connected), $"seed {mutator.Seed}");
            Assert.That(metrics.MalformedInbound, Is.GreaterThan(Messages / 2), $"seed {mutator.Seed}");
            Assert.That(metrics.MalformedInbound + metrics.MirroredIn + metrics.DuplicatesSuppressed + metrics.InboundDropped, Is.EqualTo(Messages + 1), "every message was counted one way or another");
            Assert.That(instance.Logger.Entries.Where(e => e.Level >= LogLevel.Error).Select(e => e.Message), Is.Empty);
        });
    }
}
