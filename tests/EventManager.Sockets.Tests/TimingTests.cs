namespace EventManager.Sockets.Tests;

/// <summary>Heartbeats, metrics and keep-alives, driven by a manual clock instead of waiting 30 seconds.</summary>
[TestFixture]
public sealed class TimingTests
{
    [Test]
    public async Task Heartbeat_EveryInterval_IsSent()
    {
        var time = new ManualTimeProvider();
        await using var server = SocketHost.Start(time: time);
        await using var client = await server.ConnectAsync(new() { BatchWindow = TimeSpan.Zero });
        await client.NextAsync("connected");
        await Eventually.Until(() => time.HasTimerDueIn(TimeSpan.FromSeconds(30)), "the heartbeat timer is set");

        time.Advance(TimeSpan.FromSeconds(30));

        var heartbeat = await client.NextAsync("heartbeat");
        Assert.That(heartbeat.GetProperty("payload").GetProperty("server_time").GetDateTimeOffset(), Is.EqualTo(time.GetUtcNow()));
    }

    [Test]
    public async Task MetricsUpdate_WhenAskedFor_ArrivesEveryInterval()
    {
        var time = new ManualTimeProvider();
        await using var server = SocketHost.Start(time: time);
        await using var client = await server.ConnectAsync(new() { BatchWindow = TimeSpan.Zero, MetricsInterval = TimeSpan.FromMilliseconds(5000), SessionId = "m-1", Filter = EventFilter.All.ForSession("m-1") });
        await client.NextAsync("connected");
        server.Manager.Publish(new CustomEvent("counted") with { SessionId = "m-1" });
        await client.NextAsync("event");
        await Eventually.Until(() => time.HasTimerDueIn(TimeSpan.FromSeconds(5)), "the metrics timer is set");

        time.Advance(TimeSpan.FromSeconds(5));

        var payload = (await client.NextAsync("metrics_update")).GetProperty("payload");
        Assert.Multiple(() =>
        {
            Assert.That(payload.GetProperty("total_connected_clients").GetInt32(), Is.EqualTo(1));
            Assert.That(payload.GetProperty("total_events_broadcast").GetInt64(), Is.EqualTo(1));
            Assert.That(payload.GetProperty("sessions").GetProperty("m-1").GetProperty("connected_clients").GetInt32(), Is.EqualTo(1));
            Assert.That(payload.GetProperty("event_manager").GetProperty("published").GetInt64(), Is.EqualTo(1));
        });
    }

    [Test]
    public async Task Stream_WhileIdle_GetsKeepAliveComments()
    {
        var time = new ManualTimeProvider();
        await using var server = SocketHost.Start(time: time);
        await using var client = await server.StreamAsync();
        await client.NextAsync();
        await Eventually.Until(() => time.HasTimerDueIn(TimeSpan.FromSeconds(30)), "the keep-alive timer is set");

        time.Advance(TimeSpan.FromSeconds(30));

        var comment = await client.NextAsync(m => m.Event == ":");
        Assert.That(comment.Data, Is.EqualTo("keep-alive"));
    }
}
