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
    public async Task Start_Sharded_SubscribesOnTheShardThatOwnsTheChannel()
    {
        var channel = Unique();
        await using var a = await MirroredInstance.StartAsync(_cluster.Configuration, o => (o.Channel, o.PubSubMode) = (channel, RedisPubSubMode.Sharded));
        await using var b = await MirroredInstance.StartAsync(_cluster.Configuration, o => (o.Channel, o.PubSubMode) = (channel, RedisPubSubMode.Sharded));

        var (classic, sharded) = await _cluster.SubscribersAsync(channel);
        Assert.Multiple(() =>
        {
            Assert.That(sharded, Is.EqualTo(2), "both mirrors SSUBSCRIBE on the shard that owns the channel");
            Assert.That(classic, Is.Zero);
        });
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

    private static string Unique() => "cluster:" + Guid.NewGuid().ToString("N");
}
