using EventManager.AspNetCore.Tests.Support;
using EventManager.Redis.Tests.Support;

namespace EventManager.AspNetCore.Tests;

/// <summary>Resuming on another instance through the Redis mirror's shared stream, against a real redis-server.</summary>
[TestFixture]
public sealed class SharedResumeTests
{
    [Test]
    public async Task Resume_OnAnInstanceThatJoinedLater_ReplaysFromTheSharedStreamThenGoesLive()
    {
        await using var redis = await RedisServer.StartAsync();
        var channel = "resume:" + Guid.NewGuid().ToString("N");
        await using var a = await EventServer.StartAsync(redis: Shared(redis, channel));
        var client = await WsClient.ConnectAsync(a.WsUri("/ws/events?batch_window_ms=0"));
        var epoch = (await client.NextAsync("connected")).GetProperty("payload").GetProperty("epoch").GetString();
        var events = Enumerable.Range(0, 50).Select(i => CustomEvent.Create("load", new { n = i })).ToList();
        events.ForEach(a.Manager.Publish);
        var seen = await client.EventsAsync(20);
        await client.DisposeAsync();
        await Eventually.Until(() => a.Services<EventManager.Redis.RedisEventMirror>().GetMetrics().MirroredOut == 50, "every event reached the shared stream");

        await using var b = await EventServer.StartAsync(redis: Shared(redis, channel));
        await using var resumed = await WsClient.ConnectAsync(b.WsUri($"/ws/events?batch_window_ms=0&last_event_id={seen[^1].GetProperty("event_id").GetString()}&epoch={epoch}"));
        await resumed.NextAsync("connected");
        var result = (await resumed.NextAsync("resumed")).GetProperty("payload");
        var replayed = await resumed.EventsAsync(30);
        var live = CustomEvent.Create("load", new { n = 50 });
        a.Manager.Publish(live);
        var after = await resumed.EventsAsync(1);

        Assert.Multiple(() =>
        {
            Assert.That(result.GetProperty("recovered").GetBoolean(), Is.True);
            Assert.That(result.GetProperty("epoch").GetString(), Is.EqualTo(epoch), "both instances report the shared stream's epoch");
            Assert.That(seen.Concat(replayed).Concat(after).Select(e => e.GetProperty("data").GetProperty("n").GetInt32()), Is.EqualTo(Enumerable.Range(0, 51)), "every event once, in order");
        });
    }

    [Test]
    public async Task Resume_AfterRedisRestartedOnAnInstanceWithoutTheEvents_SaysEpochChanged()
    {
        await using var redis = await RedisServer.StartAsync();
        var channel = "resume:" + Guid.NewGuid().ToString("N");
        await using var a = await EventServer.StartAsync(redis: Shared(redis, channel));
        var client = await WsClient.ConnectAsync(a.WsUri("/ws/events?batch_window_ms=0"));
        var epoch = (await client.NextAsync("connected")).GetProperty("payload").GetProperty("epoch").GetString();
        var evt = new CustomEvent("before.restart");
        a.Manager.Publish(evt);
        await client.EventsAsync(1);
        await client.DisposeAsync();
        await Eventually.Until(() => a.Services<EventManager.Redis.RedisEventMirror>().GetMetrics().MirroredOut == 1, "the event reached the shared stream");

        redis.Kill();
        await redis.RestartAsync();
        await using var b = await EventServer.StartAsync(redis: Shared(redis, channel));
        await using var resumed = await WsClient.ConnectAsync(b.WsUri($"/ws/events?last_event_id={evt.EventId}&epoch={epoch}"));
        var connected = (await resumed.NextAsync("connected")).GetProperty("payload");
        var result = (await resumed.NextAsync("resumed")).GetProperty("payload");

        Assert.Multiple(() =>
        {
            Assert.That(connected.GetProperty("epoch").GetString(), Is.Not.EqualTo(epoch), "the restarted, empty stream has a new epoch");
            Assert.That(result.GetProperty("recovered").GetBoolean(), Is.False);
            Assert.That(result.GetProperty("status").GetString(), Is.EqualTo("epoch_changed"));
        });
    }

    [Test]
    public async Task Resume_AfterRedisRestartedOnTheInstanceThatHasTheEvents_StillRecovers()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var a = await EventServer.StartAsync(redis: Shared(redis, "resume:" + Guid.NewGuid().ToString("N")));
        var client = await WsClient.ConnectAsync(a.WsUri("/ws/events?batch_window_ms=0"));
        var epoch = (await client.NextAsync("connected")).GetProperty("payload").GetProperty("epoch").GetString();
        var seen = new CustomEvent("seen");
        a.Manager.Publish(seen);
        await client.EventsAsync(1);
        await client.DisposeAsync();
        var missed = new CustomEvent("missed");
        a.Manager.Publish(missed);

        redis.Kill();
        await redis.RestartAsync();
        await using var resumed = await WsClient.ConnectAsync(a.WsUri($"/ws/events?batch_window_ms=0&last_event_id={seen.EventId}&epoch={epoch}"));
        var result = (await resumed.NextAsync("resumed")).GetProperty("payload");

        Assert.That(result.GetProperty("recovered").GetBoolean(), Is.True, "the instance's own history still has the events");
        Assert.That((await resumed.EventsAsync(1))[0].GetProperty("event_id").GetString(), Is.EqualTo(missed.EventId));
    }

    private static Action<EventManager.Redis.RedisMirrorOptions> Shared(RedisServer redis, string channel) => o =>
    {
        o.Configuration = redis.Configuration;
        o.Channel = channel;
        o.SharedHistory = true;
        o.RetryInterval = TimeSpan.FromMilliseconds(50);
    };
}
