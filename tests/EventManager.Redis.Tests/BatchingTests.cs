using EventManager.Redis.Tests.Support;

namespace EventManager.Redis.Tests;

[TestFixture]
public sealed class BatchingTests
{
    private static readonly TimeSpan BatchDelay = TimeSpan.FromSeconds(1);

    // Well under the batch delay, so a test can move the clock past a few retries and still tell that a batch did not
    // wait out its delay.
    private static readonly TimeSpan RetryInterval = TimeSpan.FromMilliseconds(100);

    private RedisServer _server = null!;
    private ManualTimeProvider _time = null!;
    private WebSocketEventManager _manager = null!;
    private RedisEventMirror _mirror = null!;
    private MirroredInstance _receiver = null!;
    private CapturingLogger<RedisEventMirror> _logger = null!;

    [SetUp]
    public async Task Start()
    {
        _server = await RedisServer.StartAsync();
        _time = new ManualTimeProvider();
        _manager = new WebSocketEventManager(new EventManagerOptions { TimeProvider = _time });
        var options = new RedisMirrorOptions
        {
            Configuration = _server.Configuration,
            MaxBatchSize = 50,
            MaxBatchDelay = BatchDelay,
            RetryInterval = RetryInterval,
            ImmediateEventTypes = { "system.*" },
        };
        _logger = new CapturingLogger<RedisEventMirror>();
        _mirror = await RedisEventMirror.StartAsync(_manager, options, _logger);
        _receiver = await MirroredInstance.StartAsync(_server.Configuration);
    }

    [TearDown]
    public async Task Stop()
    {
        if (TestContext.CurrentContext.Result.Outcome.Status == NUnit.Framework.Interfaces.TestStatus.Failed)
        {
            TestContext.Out.WriteLine(string.Join(Environment.NewLine, _logger.Entries.Select(e => $"{e.Level}: {e.Message} {e.Exception?.Message}")));
            TestContext.Out.WriteLine(_mirror.GetMetrics());
        }

        await _receiver.DisposeAsync();
        await _mirror.DisposeAsync();
        await _manager.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Test]
    public async Task Publish_FewerEventsThanABatch_WaitForTheDelay()
    {
        Publish(10, "ordinary");

        // The depth counts events still on their way to the batch; moving the clock before the batch has started its delay
        // would start the delay after the move, and it would never fall due.
        await Eventually.Until(() => _mirror.GetMetrics().OutboundBufferDepth == 10 && _time.HasTimerDueIn(TimeSpan.FromSeconds(1)), "the events wait in a batch whose delay is set");
        Assert.That(_mirror.GetMetrics().MirroredOut, Is.Zero);

        _time.Advance(BatchDelay);

        await Eventually.Until(() => _receiver.Received.Count == 10, "the batch went out when the delay passed");
    }

    [Test]
    public async Task Publish_AFullBatch_GoesOutWithoutWaiting()
    {
        var start = _time.GetUtcNow();
        Publish(50, "ordinary");

        await Eventually.Until(() => RetryingAdvancesTime() && _receiver.Received.Count == 50, "the full batch went out");
        Assert.That(_time.GetUtcNow() - start, Is.LessThan(BatchDelay), "the batch did not wait out its delay");
    }

    [Test]
    public async Task Publish_AnImmediateEventType_SendsTheWaitingBatchAtOnce()
    {
        var start = _time.GetUtcNow();
        Publish(3, "ordinary");
        Publish(1, "system.alert");

        await Eventually.Until(() => RetryingAdvancesTime() && _receiver.Received.Count == 4, "the immediate event took the batch out");
        Assert.That(_receiver.Received.Select(e => e.EventType), Is.EqualTo(new[] { "ordinary", "ordinary", "ordinary", "system.alert" }));
        Assert.That(_time.GetUtcNow() - start, Is.LessThan(BatchDelay), "the batch did not wait out its delay");
    }

    /// <summary>
    /// The mirror's retry waits run on the manual clock too. Should a write fail on a loaded machine, move the clock past one
    /// retry so the test checks batching, not the retry; a batch waiting to fill is not retrying and sees no time pass. The
    /// tests that must not wait check that these moves stayed short of the batch delay.
    /// </summary>
    private bool RetryingAdvancesTime()
    {
        if (_mirror.Health != RedisMirrorHealth.Connected && _time.HasTimerDueIn(RetryInterval))
        {
            _time.Advance(RetryInterval);
        }

        return true;
    }

    private void Publish(int count, string type)
    {
        for (var i = 0; i < count; i++)
        {
            _manager.Publish(new CustomEvent(type));
        }
    }
}
