namespace EventManager.Redis.Tests;

[TestFixture]
public sealed class ValidationTests
{
    private static IEnumerable<TestCaseData> InvalidOptions()
    {
        yield return Case(o => o.Configuration = " ", nameof(RedisMirrorOptions.Configuration));
        yield return Case(o => o.Configuration = "127.0.0.1:6379,nonsense=1", nameof(RedisMirrorOptions.Configuration));
        yield return Case(o => o.Configuration = "password=secret", nameof(RedisMirrorOptions.Configuration));
        yield return Case(o => o.Channel = "", nameof(RedisMirrorOptions.Channel));
        yield return Case(o => o.Channel = "events*", nameof(RedisMirrorOptions.Channel));
        yield return Case(o => (o.Channel, o.SharedHistory) = ("events{a}", true), nameof(RedisMirrorOptions.Channel));
        yield return Case(o => o.PubSubMode = (RedisPubSubMode)7, nameof(RedisMirrorOptions.PubSubMode));
        yield return Case(o => (o.PubSubMode, o.UseSessionChannels) = (RedisPubSubMode.Sharded, true), nameof(RedisMirrorOptions.UseSessionChannels));
        yield return Case(o => o.OutboundBufferSize = 0, nameof(RedisMirrorOptions.OutboundBufferSize));
        yield return Case(o => o.OutboundOverflowPolicy = OverflowPolicy.Wait, nameof(RedisMirrorOptions.OutboundOverflowPolicy));
        yield return Case(o => o.MaxBatchSize = 0, nameof(RedisMirrorOptions.MaxBatchSize));
        yield return Case(o => o.MaxBatchDelay = TimeSpan.FromSeconds(-1), nameof(RedisMirrorOptions.MaxBatchDelay));
        yield return Case(o => o.ImmediateEventTypes.Add(""), nameof(RedisMirrorOptions.ImmediateEventTypes));
        yield return Case(o => o.InboundBufferSize = -1, nameof(RedisMirrorOptions.InboundBufferSize));
        yield return Case(o => o.MaxMessageBytes = 10, nameof(RedisMirrorOptions.MaxMessageBytes));
        yield return Case(o => o.ReconnectGracePeriod = TimeSpan.FromHours(1), nameof(RedisMirrorOptions.ReconnectGracePeriod));
        yield return Case(o => o.RetryInterval = TimeSpan.Zero, nameof(RedisMirrorOptions.RetryInterval));
        yield return Case(o => o.ShutdownTimeout = TimeSpan.FromSeconds(-1), nameof(RedisMirrorOptions.ShutdownTimeout));

        static TestCaseData Case(Action<RedisMirrorOptions> change, string field) => new TestCaseData(change, field).SetArgDisplayNames(field);
    }

    [TestCaseSource(nameof(InvalidOptions))]
    public async Task StartAsync_InvalidOption_ThrowsNamingTheField(Action<RedisMirrorOptions> change, string field)
    {
        await using var manager = new WebSocketEventManager();
        var options = new RedisMirrorOptions();
        change(options);

        var error = Assert.ThrowsAsync(Is.InstanceOf<ArgumentException>(), () => RedisEventMirror.StartAsync(manager, options))!;

        Assert.That(((ArgumentException)error).ParamName, Is.EqualTo(field));
        Assert.That(error.Message, Does.Contain(field));
        Assert.That(manager.ListenerCount, Is.Zero, "a rejected mirror leaves no listener behind");
    }

    [Test]
    public void StartAsync_NullArguments_ThrowNamingTheParameter()
    {
        Assert.That(() => RedisEventMirror.StartAsync(null!, new RedisMirrorOptions()), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("manager"));
        using var manager = new WebSocketEventManager();
        Assert.That(() => RedisEventMirror.StartAsync(manager, null!), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("options"));
    }

    [Test]
    public void Defaults_AreTheDocumentedOnes()
    {
        var options = new RedisMirrorOptions();

        Assert.Multiple(() =>
        {
            Assert.That(options.Channel, Is.EqualTo("websocket_events"));
            Assert.That(options.MaxBatchSize, Is.EqualTo(50));
            Assert.That(options.MaxBatchDelay, Is.EqualTo(TimeSpan.Zero));
            Assert.That(options.OutboundOverflowPolicy, Is.EqualTo(OverflowPolicy.DropOldest));
            Assert.That(options.UseSessionChannels, Is.False);
        });
        Assert.That(options.Validate, Throws.Nothing);
    }
}
