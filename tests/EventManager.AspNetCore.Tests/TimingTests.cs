using EventManager.AspNetCore.Tests.Support;

namespace EventManager.AspNetCore.Tests;

/// <summary>Heartbeats, metrics and keep-alives, driven by a manual clock instead of waiting 30 seconds.</summary>
[TestFixture]
[CancelAfter(60_000)]
public sealed class TimingTests
{
    [Test]
    public async Task Heartbeat_EveryInterval_IsSent()
    {
        var time = new ManualTimeProvider();
        await using var server = await EventServer.StartAsync(time: time);
        await using var client = await WsClient.ConnectAsync(server.WsUri("/ws/events?batch_window_ms=0"));
        await client.NextAsync("connected");
        await Eventually.Until(() => time.ActiveTimers > 0, "the heartbeat timer is set");

        time.Advance(TimeSpan.FromSeconds(30));

        var heartbeat = await client.NextAsync("heartbeat");
        Assert.That(heartbeat.GetProperty("payload").GetProperty("server_time").GetDateTimeOffset(), Is.EqualTo(time.GetUtcNow()));
    }

    [Test]
    public async Task MetricsUpdate_WhenAskedFor_ArrivesEveryInterval()
    {
        var time = new ManualTimeProvider();
        await using var server = await EventServer.StartAsync(time: time);
        await using var client = await WsClient.ConnectAsync(server.WsUri("/ws/events/m-1?batch_window_ms=0&metrics_interval_ms=5000"));
        await client.NextAsync("connected");
        server.Manager.Publish(new CustomEvent("counted") with { SessionId = "m-1" });
        await client.NextAsync("event");
        await Eventually.Until(() => time.ActiveTimers >= 2, "the heartbeat and metrics timers are set");

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
        await using var server = await EventServer.StartAsync(time: time);
        await using var client = await SseClient.ConnectAsync(server.HttpUri("/events"));
        await client.NextAsync();
        await Eventually.Until(() => time.ActiveTimers > 0, "the keep-alive timer is set");

        time.Advance(TimeSpan.FromSeconds(30));

        var comment = await client.NextAsync(m => m.Event == ":");
        Assert.That(comment.Data, Is.EqualTo("keep-alive"));
    }
}
