using System.Collections.Concurrent;
using System.Net;
using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using System.Text;
using EventManager.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EventManager.Client.Tests;

/// <summary>
/// The client against a fake server on real Kestrel that sends scripted frames: what a broken or newer server might send.
/// The client skips and reports what it cannot read, and keeps the connection.
/// </summary>
[TestFixture]
public sealed class FakeServerTests
{
    [Test]
    public async Task ReadEventsAsync_MalformedFrames_AreSkippedAndReportedAndTheStreamGoesOn()
    {
        await using var fake = await FakeServer.StartAsync(
            """{"type":"connected","payload":{"epoch":"e1","last_event_id":"start"}}""",
            "not json at all",
            """["an","array"]""",
            """{"type":"event","event_type":"agent_message","event_id":"bad","data":{"agent_id":"a"}}""",
            """{"type":"batch","count":2,"events":[{"event_type":"x","event_id":"1","data":{}},{"event_type":"","event_id":"2"},{"event_type":"y","event_id":"3","data":{}}]}""",
            """{"type":"some_future_frame","payload":{}}""",
            """{"type":"event","event_type":"z","event_id":"4","data":{"k":1}}""");
        var errors = new ConcurrentQueue<Exception>();
        await using var client = new EventManagerClient(fake.Uri, new EventManagerClientOptions { OnError = errors.Enqueue });

        var received = await Eventually.Within(ClientTests.Collect(client, 3), "the readable events arrive");

        Assert.Multiple(() =>
        {
            Assert.That(received.Select(e => e.EventId), Is.EqualTo(new[] { "1", "3", "4" }));
            Assert.That(errors.Select(e => e.GetType()), Is.All.EqualTo(typeof(EventFormatException)));
            Assert.That(errors.OfType<EventFormatException>().Select(e => e.Field), Is.EqualTo(new[] { "$", "type", "data.agent_type", "event_type" }), "each skipped frame or event names its field");
            Assert.That(client.Epoch, Is.EqualTo("e1"));
            Assert.That(client.Reconnects, Is.Zero, "the connection was kept");
        });
    }

    [Test]
    public async Task ReadEventsAsync_GapFrame_IsReported()
    {
        await using var fake = await FakeServer.StartAsync(
            """{"type":"connected","payload":{"epoch":"e1"}}""",
            """{"type":"gap","payload":{"missed":120,"total_missed":480}}""",
            """{"type":"event","event_type":"after.gap","event_id":"5","data":{}}""");
        var gaps = new ConcurrentQueue<EventGap>();
        await using var client = new EventManagerClient(fake.Uri, new EventManagerClientOptions { OnGap = gaps.Enqueue });

        await Eventually.Within(ClientTests.Collect(client, 1), "the event after the gap arrives");

        Assert.That(gaps, Is.EqualTo(new[] { new EventGap(120, 480) }));
    }

    [Test]
    public async Task ReadEventsAsync_FrameOverTheLimit_IsSkippedAndReported()
    {
        await using var fake = await FakeServer.StartAsync(
            """{"type":"connected","payload":{}}""",
            """{"type":"event","event_type":"big","event_id":"6","data":{"s":""" + "\"" + new string('x', 4_000) + "\"}}",
            """{"type":"event","event_type":"small","event_id":"7","data":{}}""");
        var errors = new ConcurrentQueue<Exception>();
        await using var client = new EventManagerClient(fake.Uri, new EventManagerClientOptions { MaxFrameBytes = 1024, OnError = errors.Enqueue });

        var received = await Eventually.Within(ClientTests.Collect(client, 1), "the small event arrives");

        Assert.Multiple(() =>
        {
            Assert.That(received.Single().EventId, Is.EqualTo("7"));
            Assert.That(errors.Single().Message, Does.Contain("MaxFrameBytes"));
        });
    }

    [Test]
    public async Task ReadEventsAsync_EventIdTheServerCouldNotResumeFrom_KeepsTheLastUsablePosition()
    {
        await using var fake = await FakeServer.StartAsync(
            """{"type":"connected","payload":{"epoch":"e1","last_event_id":"start"}}""",
            """{"type":"event","event_type":"a","event_id":"good-1","data":{}}""",
            """{"type":"event","event_type":"b","event_id":"order/42 with spaces","data":{}}""");
        await using var client = new EventManagerClient(fake.Uri);

        var received = await Eventually.Within(ClientTests.Collect(client, 2), "both events arrive");

        Assert.Multiple(() =>
        {
            Assert.That(received.Select(e => e.EventId), Is.EqualTo(new[] { "good-1", "order/42 with spaces" }), "the event is still delivered");
            Assert.That(client.LastEventId, Is.EqualTo("good-1"), "a reconnect resumes from an id the server accepts");
        });
    }

    [Test]
    public async Task ReadEventsAsync_ConnectionSilentForTheIdleTimeout_IsReplacedAndReported()
    {
        var time = new ManualTimeProvider();
        await using var fake = await FakeServer.StartAsync("""{"type":"connected","payload":{"epoch":"e1"}}""");
        var errors = new ConcurrentQueue<Exception>();
        await using var client = new EventManagerClient(fake.Uri, new EventManagerClientOptions { TimeProvider = time, OnError = errors.Enqueue });
        _ = ClientTests.Collect(client, 1);
        await Eventually.Until(() => fake.Connections == 1 && client.Epoch == "e1", "the client connects");
        await Eventually.Until(() => time.HasTimerDueIn(TimeSpan.FromSeconds(90)), "the idle timeout is armed");

        time.Advance(TimeSpan.FromSeconds(90));
        await Eventually.Until(() => !errors.IsEmpty, "the silent connection is given up");
        await Eventually.Until(() => time.ActiveTimers > 0, "the reconnect waits its backoff");
        time.Advance(TimeSpan.FromSeconds(1));

        await Eventually.Until(() => fake.Connections == 2, "the client connects again");
        Assert.That(errors.First(), Is.TypeOf<TimeoutException>().With.Message.Contains("IdleTimeout"));
    }

    [Test]
    public async Task ReadEventsAsync_ServerAnnouncesNoHeartbeat_NoIdleTimeoutIsKept()
    {
        var time = new ManualTimeProvider();
        await using var fake = await FakeServer.StartAsync("""{"type":"connected","payload":{"epoch":"e1","heartbeat_interval_ms":0}}""");
        await using var client = new EventManagerClient(fake.Uri, new EventManagerClientOptions { TimeProvider = time });
        _ = ClientTests.Collect(client, 1);
        await Eventually.Until(() => client.Epoch == "e1", "the client connects");

        await Eventually.Until(() => time.ActiveTimers == 0, "no timer is armed: a silent connection is not a dead one here");
    }

    [Test]
    public async Task ReadEventsAsync_ServerAnnouncesALongHeartbeat_TheIdleTimeoutIsThreeOfThem()
    {
        var time = new ManualTimeProvider();
        await using var fake = await FakeServer.StartAsync("""{"type":"connected","payload":{"epoch":"e1","heartbeat_interval_ms":60000}}""");
        await using var client = new EventManagerClient(fake.Uri, new EventManagerClientOptions { TimeProvider = time });
        _ = ClientTests.Collect(client, 1);
        await Eventually.Until(() => client.Epoch == "e1", "the client connects");

        await Eventually.Until(() => time.HasTimerDueIn(TimeSpan.FromMinutes(3)), "the idle timeout is three heartbeats");
    }

    [Test]
    public async Task ReadEventsAsync_ServerAcceptsThenClosesAtOnce_TheBackoffKeepsGrowing()
    {
        var time = new ManualTimeProvider();
        await using var fake = await FakeServer.StartAsync(closeAfterFrames: true, """{"type":"connected","payload":{"epoch":"e1"}}""");
        var errors = new ConcurrentQueue<Exception>();
        await using var client = new EventManagerClient(fake.Uri, new EventManagerClientOptions { TimeProvider = time, OnError = errors.Enqueue });
        _ = ClientTests.Collect(client, 1);
        var delays = new List<TimeSpan>();

        for (var connection = 1; connection <= 3; connection++)
        {
            // The connection has ended (and its idle timer with it) when its close is reported: the timer armed then is the backoff.
            await Eventually.Until(() => errors.Count == connection && time.NextDueIn is not null, "the client waits before reconnecting");
            var delay = time.NextDueIn!.Value;
            delays.Add(delay);
            time.Advance(delay);
        }

        // Each delay is the doubled one less up to half at random: 125-250 ms, 250-500 ms, 500-1,000 ms. Had a connection that
        // opened and closed at once started the backoff afresh, all three would be 125-250 ms.
        Assert.Multiple(() =>
        {
            Assert.That(delays[0], Is.InRange(TimeSpan.FromMilliseconds(125), TimeSpan.FromMilliseconds(250)));
            Assert.That(delays[2], Is.InRange(TimeSpan.FromMilliseconds(500), TimeSpan.FromMilliseconds(1000)));
        });
    }

    /// <summary>A Kestrel server on 127.0.0.1 whose one WebSocket endpoint sends the given frames, then waits for the client to leave.</summary>
    private sealed class FakeServer : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly StrongBox<int> _connections;

        private FakeServer(WebApplication app, Uri uri, StrongBox<int> connections)
        {
            _app = app;
            Uri = uri;
            _connections = connections;
        }

        public Uri Uri { get; }

        /// <summary>How many WebSocket connections the endpoint has accepted.</summary>
        public int Connections => Volatile.Read(ref _connections.Value);

        public static Task<FakeServer> StartAsync(params string[] frames) => StartAsync(closeAfterFrames: false, frames);

        /// <summary>Starts the server; with <paramref name="closeAfterFrames"/> each connection is closed once its frames are sent.</summary>
        public static async Task<FakeServer> StartAsync(bool closeAfterFrames, params string[] frames)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
            builder.Logging.ClearProviders();
            var app = builder.Build();
            var connections = new StrongBox<int>();
            app.UseWebSockets();
            app.Map("/fake", async (HttpContext context) =>
            {
                using var socket = await context.WebSockets.AcceptWebSocketAsync();
                Interlocked.Increment(ref connections.Value);
                foreach (var frame in frames)
                {
                    await socket.SendAsync(Encoding.UTF8.GetBytes(frame), WebSocketMessageType.Text, true, context.RequestAborted);
                }

                if (closeAfterFrames)
                {
                    await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", context.RequestAborted);
                }

                var buffer = new byte[1024];
                while ((await socket.ReceiveAsync(buffer, context.RequestAborted)).MessageType != WebSocketMessageType.Close)
                {
                }
            });
            await app.StartAsync();
            var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
            return new FakeServer(app, new UriBuilder(address) { Scheme = "ws", Path = "/fake" }.Uri, connections);
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
