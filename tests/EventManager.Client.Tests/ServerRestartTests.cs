using EventManager.AspNetCore.Tests.Support;
using EventManager.Client;
using EventManager.Redis.Tests.Support;

namespace EventManager.Client.Tests;

/// <summary>
/// A server restart: the client's server stops while another instance keeps publishing through a real redis-server with
/// the shared history on, and a new server comes up on the same port. Default client options.
/// </summary>
[TestFixture]
public sealed class ServerRestartTests
{
    [TestCase("/ws/events")]
    [TestCase("/events")]
    public async Task ReadEventsAsync_ServerRestartedWhileAnotherInstancePublished_ResumesFromTheSharedHistoryWithNoLossAndNoDuplicate(string path)
    {
        await using var redis = await RedisServer.StartAsync();
        var channel = "client-restart:" + Guid.NewGuid().ToString("N");
        var first = await EventServer.StartAsync(redis: Shared(redis, channel));
        await using var other = await EventServer.StartAsync(redis: Shared(redis, channel));
        var port = first.Http.Port;
        var resumed = new TaskCompletionSource<ResumeResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var client = new EventManagerClient(ClientTests.Endpoint(first, path), new EventManagerClientOptions { OnResumed = r => resumed.TrySetResult(r) });
        var reading = ClientTests.Collect(client, 300);
        await ClientTests.ConnectedAsync(client);

        var firstHundred = Publish(other, 0, 100);
        await Eventually.Until(() => client.LastEventId == firstHundred[^1], "the client has the first hundred");
        await first.DisposeAsync();
        Publish(other, 100, 200);
        await Eventually.Until(() => other.Services<EventManager.Redis.RedisEventMirror>().GetMetrics().MirroredOut == 200, "the second hundred reached the shared history");
        await using var restarted = await EventServer.StartAsync(port: port, redis: Shared(redis, channel));
        var result = await Eventually.Within(resumed.Task, "the client resumes on the restarted server");
        Publish(other, 200, 300);

        var received = await Eventually.Within(reading, "every event arrives");
        Assert.Multiple(() =>
        {
            Assert.That(received.Select(e => ((CustomEvent)e).Data.GetProperty("n").GetInt32()), Is.EqualTo(Enumerable.Range(0, 300)), "each event once, in order");
            Assert.That(result.Status, Is.EqualTo(ResumeStatus.Recovered));
            Assert.That(result.Replayed, Is.GreaterThan(0), "what was published while it was down came from the shared history");
        });
    }

    private static List<string> Publish(EventServer server, int from, int to)
    {
        var ids = new List<string>();
        for (var i = from; i < to; i++)
        {
            var evt = CustomEvent.Create("n", new { n = i });
            server.Manager.Publish(evt);
            ids.Add(evt.EventId);
        }

        return ids;
    }

    private static Action<EventManager.Redis.RedisMirrorOptions> Shared(RedisServer redis, string channel) => o =>
    {
        o.Configuration = redis.Configuration;
        o.Channel = channel;
        o.SharedHistory = true;
    };
}
