using System.Net.WebSockets;
using Microsoft.Extensions.Logging;

namespace EventManager.Sockets.Tests;

/// <summary>Tens of thousands of mutated client frames on one connection: it stays open and the server logs no error.</summary>
[TestFixture]
public sealed class FuzzTests
{
    private const int Frames = 20_000;

    private static readonly string[] FrameSamples =
    [
        """{"type":"ping"}""",
        """{"type":"subscribe","payload":{"event_types":["voice.*","agent_message"]}}""",
        """{"type":"unsubscribe","payload":{"event_types":["voice.*"]}}""",
        """{"type":"resume","payload":{"last_event_id":"01a2010baebc7f5da3d16d0deeb8d6bc","epoch":"abc"}}""",
    ];

    [Test]
    public async Task Connection_MutatedFrames_SurvivesAndAnswersEachOne()
    {
        await using var server = SocketHost.Start(o => o.MaxFramesPerSecond = 100_000);
        await using var client = await server.ConnectAsync();
        await client.NextAsync("connected");
        var mutator = new Mutator(Mutator.SeedFromEnvironment(), FrameSamples);

        for (var i = 0; i < Frames; i++)
        {
            // Text frames must be UTF-8 (a WebSocket closes with 1007 otherwise, tested elsewhere); fuzz what is inside them.
            var frame = System.Text.Encoding.UTF8.GetBytes(System.Text.Encoding.UTF8.GetString(mutator.Next()));
            if (frame.Length == 0)
            {
                continue;
            }

            await client.Socket.SendAsync(frame, WebSocketMessageType.Text, true, CancellationToken.None);
        }

        // A frame no mutation can produce, so its answer cannot be mistaken for the answer to a fuzzed frame: the server
        // answered every frame before it, in order.
        var marker = "fuzz.done." + Guid.NewGuid().ToString("N");
        await client.SendAsync(new { type = "subscribe", payload = new { event_types = new[] { marker } } });
        while (!(await client.NextAsync("subscribed", TimeSpan.FromMinutes(2))).GetProperty("payload").GetProperty("event_types").EnumerateArray().Any(t => t.GetString() == marker))
        {
        }

        Assert.Multiple(() =>
        {
            Assert.That(client.Socket.State, Is.EqualTo(WebSocketState.Open), $"seed {mutator.Seed}");
            Assert.That(server.Logs.Where(l => l.Level >= LogLevel.Error).Select(l => l.Message), Is.Empty, $"seed {mutator.Seed}");
            Assert.That(server.Broadcaster.GetMetrics().ProtocolErrors, Is.GreaterThan(0));
        });
    }
}
