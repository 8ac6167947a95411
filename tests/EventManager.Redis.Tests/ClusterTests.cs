using EventManager.Redis.Tests.Support;

namespace EventManager.Redis.Tests;

/// <summary>The mirror on a real Redis Cluster (three primaries, three replicas) with default options.</summary>
[TestFixture]
[NonParallelizable]
public sealed class ClusterTests
{
    private const int Count = 100_000;
    private RedisCluster _cluster = null!;

    [OneTimeSetUp]
    public async Task StartClusterAsync() => _cluster = await RedisCluster.StartAsync();

    [OneTimeTearDown]
    public async Task StopClusterAsync() => await _cluster.DisposeAsync();

    [TearDown]
    public void ReportLogsIfFailed() => MirroredInstance.ReportIfFailed();

    [Test]
    public async Task Publish_OnTwoInstances_EachReceivesTheOthersEventsOnce([Values] RedisPubSubMode mode)
    {
        var channel = Unique();
        await using var a = await MirroredInstance.StartAsync(_cluster.Configuration, o => (o.Channel, o.PubSubMode) = (channel, mode), "cluster-a");
        await using var b = await MirroredInstance.StartAsync(_cluster.Configuration, o => (o.Channel, o.PubSubMode) = (channel, mode), "cluster-b");

        var fromA = Enumerable.Range(0, 100).Select(i => a.Manager.BroadcastAgentMessage("agent-a", "both-ways", i.ToString(System.Globalization.CultureInfo.InvariantCulture))).ToList();
        var fromB = Enumerable.Range(0, 100).Select(i => b.Manager.BroadcastAgentMessage("agent-b", "both-ways", i.ToString(System.Globalization.CultureInfo.InvariantCulture))).ToList();
        await Eventually.Until(() => b.ReceivedFrom(a).Count() >= 100 && a.ReceivedFrom(b).Count() >= 100, "the events crossed both ways");

        Assert.Multiple(() =>
        {
            Assert.That(b.ReceivedFrom(a).Select(e => e.EventId), Is.EqualTo(fromA.Select(e => e.EventId)));
            Assert.That(a.ReceivedFrom(b).Select(e => e.EventId), Is.EqualTo(fromB.Select(e => e.EventId)));
            Assert.That(a.Mirror.Health, Is.EqualTo(RedisMirrorHealth.Connected));
        });
    }

    [Test]
    public async Task Start_OnACluster_SubscribesOnThePrimaryThatOwnsTheChannel([Values] RedisPubSubMode mode)
    {
        var channel = Unique();
        await using var a = await MirroredInstance.StartAsync(_cluster.Configuration, o => (o.Channel, o.PubSubMode) = (channel, mode));
        await using var b = await MirroredInstance.StartAsync(_cluster.Configuration, o => (o.Channel, o.PubSubMode) = (channel, mode));

        // So a publish, run there too, counts both mirrors, and one that reaches fewer is sent again once the other is back.
        var (classic, sharded) = await _cluster.SubscribersAsync(channel);
        Assert.That(mode == RedisPubSubMode.Sharded ? (classic, sharded) : (sharded, classic), Is.EqualTo((0L, 2L)), "both mirrors subscribed on the slot's primary, with the mode's command");
    }

    [Test]
    public async Task Publish_100000Events_ArriveAtAnotherInstanceInOrder([Values] RedisPubSubMode mode)
    {
        var channel = Unique();
        await using var a = await MirroredInstance.StartAsync(_cluster.Configuration, o => (o.Channel, o.PubSubMode) = (channel, mode), "cluster-order-a");
        await using var b = await MirroredInstance.StartAsync(_cluster.Configuration, o => (o.Channel, o.PubSubMode) = (channel, mode), "cluster-order-b");

        var published = new List<string>(Count);
        for (var i = 0; i < Count; i++)
        {
            published.Add(a.Manager.BroadcastAgentMessage("agent-a", "order", i.ToString(System.Globalization.CultureInfo.InvariantCulture)).EventId);
        }

        await Eventually.Until(() => b.ReceivedFrom(a).Count() >= Count, "every event crossed", TimeSpan.FromMinutes(3));
        Assert.Multiple(() =>
        {
            Assert.That(b.ReceivedFrom(a).Select(e => e.EventId), Is.EqualTo(published), "each once, in publish order");
            Assert.That(a.Mirror.GetMetrics().OutboundDropped, Is.Zero);
            Assert.That(b.Mirror.GetMetrics().InboundDropped, Is.Zero);
        });
    }

    [Test]
    public async Task SharedHistory_OnACluster_GivesAnotherInstanceTheEventsAfterAnId([Values] RedisPubSubMode mode)
    {
        var channel = Unique();
        await using var a = await MirroredInstance.StartAsync(_cluster.Configuration, o => (o.Channel, o.SharedHistory, o.PubSubMode) = (channel, true, mode), "history-a");
        await using var b = await MirroredInstance.StartAsync(_cluster.Configuration, o => (o.Channel, o.SharedHistory, o.PubSubMode) = (channel, true, mode), "history-b");
        var published = Enumerable.Range(0, 10).Select(i => a.Manager.BroadcastAgentMessage("agent-a", "kept", i.ToString(System.Globalization.CultureInfo.InvariantCulture)).EventId).ToList();
        await Eventually.Until(() => b.ReceivedFrom(a).Count() >= 10, "the events crossed");

        var after = await b.Mirror.GetEventsAfterAsync(published[3], CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(after?.Select(e => e.EventId), Is.EqualTo(published.Skip(4)), "the stream, its epoch and the publish share the channel's slot");
            Assert.That(b.Mirror.Epoch, Is.EqualTo(a.Mirror.Epoch).And.Not.Null);
        });
    }

    [Test]
    public async Task Failover_OfTheChannelsPrimary_LosesNothingPublishedAroundIt([Values] RedisPubSubMode mode)
    {
        var channel = Unique();
        await using var a = await MirroredInstance.StartAsync(_cluster.Configuration, o => (o.Channel, o.PubSubMode) = (channel, mode), "failover-a");
        await using var b = await MirroredInstance.StartAsync(_cluster.Configuration, o => (o.Channel, o.PubSubMode) = (channel, mode), "failover-b");
        var fromA = new List<string>();
        var fromB = new List<string>();
        void PublishBoth(string phase)
        {
            for (var i = 0; i < 100; i++)
            {
                var text = phase + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
                fromA.Add(a.Manager.BroadcastAgentMessage("agent-a", "failover", text).EventId);
                fromB.Add(b.Manager.BroadcastAgentMessage("agent-b", "failover", text).EventId);
            }
        }

        PublishBoth("before ");
        await Eventually.Until(() => b.ReceivedFrom(a).Count() >= 100 && a.ReceivedFrom(b).Count() >= 100, "the first events crossed");
        var killed = await _cluster.KillPrimaryOfAsync(channel);
        try
        {
            PublishBoth("while the slot has no primary ");
            await _cluster.AwaitTakeoverAsync(channel, killed);
            PublishBoth("after the takeover ");
        }
        finally
        {
            // The fixture's cluster serves the other tests: it gets its node back even when this test fails.
            await _cluster.RejoinAsync(killed);
        }

        PublishBoth("after the old primary rejoined ");

        await Eventually.Until(() => b.ReceivedFrom(a).Count() >= 400 && a.ReceivedFrom(b).Count() >= 400, "every event crossed both ways", TimeSpan.FromMinutes(1));
        // A write that reached fewer subscribers than the one before it is sent again from that event, after the missing
        // subscriber is back; one that came back during the batch may have had later events of it first (docs/redis.md).
        Assert.Multiple(() =>
        {
            Assert.That(b.ReceivedFrom(a).Select(e => e.EventId), Is.EquivalentTo(fromA).And.Unique, "each of A's events once");
            Assert.That(a.ReceivedFrom(b).Select(e => e.EventId), Is.EquivalentTo(fromB).And.Unique, "each of B's events once");
            Assert.That(b.ReceivedFrom(a).Take(100).Select(e => e.EventId), Is.EqualTo(fromA.Take(100)), "in order before the failover");
            Assert.That(b.ReceivedFrom(a).Select(e => e.EventId).Where(fromA.Skip(300).Contains), Is.EqualTo(fromA.Skip(300)), "in order once it is over");
            Assert.That(a.Manager.GetMetrics().Dropped + b.Manager.GetMetrics().Dropped, Is.Zero, "local delivery unharmed");
            Assert.That(a.Mirror.GetMetrics().OutboundDropped + b.Mirror.GetMetrics().OutboundDropped, Is.Zero, "nothing dropped by the mirrors");
        });
    }

    private static string Unique() => "cluster:" + Guid.NewGuid().ToString("N");
}
