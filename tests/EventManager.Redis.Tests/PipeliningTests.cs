using EventManager.Redis.Tests.Support;

namespace EventManager.Redis.Tests;

/// <summary>Batches go out without waiting for the replies to the batches before them, with default options.</summary>
[TestFixture]
[NonParallelizable]
public sealed class PipeliningTests
{
    [TearDown]
    public void ReportLogsIfFailed() => MirroredInstance.ReportIfFailed();

    [Test]
    public async Task Publish_WhileRepliesAreHeld_LaterBatchesStillReachTheOtherInstance()
    {
        await using var server = await RedisServer.StartAsync();
        await using var proxy = ReplyHoldingProxy.Start(server.Port);
        await using var a = await MirroredInstance.StartAsync(proxy.Configuration, instanceId: "held-replies-a");
        await using var b = await MirroredInstance.StartAsync(server.Configuration, instanceId: "held-replies-b");
        var published = new List<string> { a.Manager.BroadcastAgentMessage("agent-a", "first", "crosses before the hold").EventId };
        await Eventually.Until(() => b.ReceivedFrom(a).Any() && a.Mirror.GetMetrics().MirroredOut == 1, "the first event crossed and its reply came back");

        proxy.HoldReplies();
        for (var i = 0; i < 120; i++)
        {
            published.Add(a.Manager.BroadcastAgentMessage("agent-a", "held", i.ToString(System.Globalization.CultureInfo.InvariantCulture)).EventId);
        }

        // Well inside StackExchange.Redis's 5 s timeout for the held replies: more than one batch of 50 went out meanwhile.
        await Eventually.Until(() => b.ReceivedFrom(a).Count() == published.Count, "A's later batches went out while its earlier ones' replies were held", TimeSpan.FromSeconds(3));
        var confirmedWhileHeld = a.Mirror.GetMetrics().MirroredOut;
        proxy.ReleaseReplies();
        await Eventually.Until(() => a.Mirror.GetMetrics().MirroredOut == published.Count, "every write was confirmed once the replies came");

        Assert.Multiple(() =>
        {
            Assert.That(confirmedWhileHeld, Is.EqualTo(1), "nothing is counted as mirrored before its reply");
            Assert.That(b.ReceivedFrom(a).Select(e => e.EventId), Is.EqualTo(published), "each once, in order");
            Assert.That(a.Mirror.GetMetrics().RedisErrors, Is.Zero);
            Assert.That(a.Mirror.Health, Is.EqualTo(RedisMirrorHealth.Connected));
        });
    }
}
