using EventManager.Tests.Support;

namespace EventManager.Tests;

public class HistoryTests
{
    [Test]
    public async Task Subscribe_AfterAKnownEventWhilePublishing_GetsTheRestThenLiveWithoutGapOrDuplicate()
    {
        await using var manager = new WebSocketEventManager(new EventManagerOptions { HistoryCapacity = 100_000 });
        const int Count = 20_000;
        var published = new List<CustomEvent>(Count);
        for (var i = 0; i < 1000; i++)
        {
            published.Add(Events.Custom("n" + i));
            manager.Publish(published[^1]);
        }

        await Eventually.Until(() => manager.GetMetrics().Dispatched == 1000, "the first events were dispatched");
        var publisher = Task.Run(() =>
        {
            for (var i = 1000; i < Count; i++)
            {
                var evt = Events.Custom("n" + i);
                lock (published)
                {
                    published.Add(evt);
                }

                manager.Publish(evt);
            }
        });

        await using var subscription = manager.Subscribe(new ListenerOptions { Capacity = Count }, published[499].EventId);
        var received = new List<string>();
        while (received.Count < Count - 500 && await Eventually.Within(subscription.WaitToReadAsync().AsTask(), "more events"))
        {
            while (subscription.TryRead(out var evt))
            {
                received.Add(evt.EventType);
            }
        }

        await Eventually.Within(publisher, "the publisher to finish");
        Assert.That(subscription.Resume.Status, Is.EqualTo(ResumeStatus.Recovered));
        Assert.That(received, Is.EqualTo(Enumerable.Range(500, Count - 500).Select(i => "n" + i)));
    }

    [Test]
    public async Task Subscribe_AfterAnEventOlderThanTheHistory_ReportsHistoryExceededAndStartsLive()
    {
        await using var manager = new WebSocketEventManager(new EventManagerOptions { HistoryCapacity = 10 });
        var first = Events.Custom("first");
        manager.Publish(first);
        for (var i = 0; i < 20; i++)
        {
            manager.Publish(Events.Custom());
        }

        await Eventually.Until(() => manager.GetMetrics().Dispatched == 21, "every event was dispatched");

        await using var subscription = manager.Subscribe(null, first.EventId);

        Assert.That(subscription.Resume, Is.EqualTo(new ResumeResult(ResumeStatus.HistoryExceeded, first.EventId, 0)));
        Assert.That(subscription.Pending, Is.Zero);
    }

    [Test]
    public async Task Subscribe_AfterAnEventFromBeforeTheManagerStarted_ReportsEpochChanged()
    {
        var before = Guid.CreateVersion7(DateTimeOffset.UtcNow.AddMinutes(-1)).ToString("N");
        await using var manager = new WebSocketEventManager();

        await using var subscription = manager.Subscribe(null, before);

        Assert.That(subscription.Resume.Status, Is.EqualTo(ResumeStatus.EpochChanged));
        Assert.That(subscription.Resume.Recovered, Is.False);
    }

    [TestCase("not-an-event-id")]
    [TestCase("0123456789abcdef0123456789abcdef")]
    public async Task Subscribe_AfterAnIdThisStreamNeverHad_ReportsUnknown(string id)
    {
        await using var manager = new WebSocketEventManager();
        manager.Publish(Events.Custom());

        await using var subscription = manager.Subscribe(null, id);

        Assert.That(subscription.Resume.Status, Is.EqualTo(ResumeStatus.Unknown));
    }

    [Test]
    public async Task History_OlderThanItsMaxAge_IsForgotten()
    {
        var time = new ManualTimeProvider();
        await using var manager = new WebSocketEventManager(new EventManagerOptions { TimeProvider = time, HistoryMaxAge = TimeSpan.FromMinutes(1) });
        var old = Events.Custom("old");
        manager.Publish(old);
        manager.Publish(Events.Custom());
        await Eventually.Until(() => manager.GetMetrics().Dispatched == 2, "both events were dispatched");

        time.Advance(TimeSpan.FromMinutes(2));

        Assert.That(manager.GetEventsAfter(old.EventId, out var events).Status, Is.Not.EqualTo(ResumeStatus.Recovered));
        Assert.That(events, Is.Empty);
    }

    [Test]
    public async Task GetEventsAfter_AKnownEvent_ListsTheLaterOnesInOrder()
    {
        await using var manager = new WebSocketEventManager();
        var all = Enumerable.Range(0, 5).Select(i => Events.Custom("e" + i)).ToList();
        all.ForEach(manager.Publish);
        await Eventually.Until(() => manager.GetMetrics().Dispatched == 5, "every event was dispatched");

        var result = manager.GetEventsAfter(all[1].EventId, out var events);

        Assert.That(result.Status, Is.EqualTo(ResumeStatus.Recovered));
        Assert.That(events.Select(e => e.EventType), Is.EqualTo(new[] { "e2", "e3", "e4" }));
    }

    [Test]
    public async Task GetEventsAfter_AnIdPublishedTwice_ListsTheEventsAfterItsLatestCopy()
    {
        await using var manager = new WebSocketEventManager();
        var events = new[] { "a", "repeated", "b", "repeated", "c" }
            .Select(type => new CustomEvent(type) { EventId = type == "repeated" ? "foreign-id" : Guid.NewGuid().ToString("N") })
            .ToList();
        events.ForEach(manager.Publish);
        await Eventually.Until(() => manager.GetMetrics().Dispatched == 5, "every event was dispatched");

        var result = manager.GetEventsAfter("foreign-id", out var after);

        Assert.That(result.Status, Is.EqualTo(ResumeStatus.Recovered));
        Assert.That(after.Select(e => e.EventType), Is.EqualTo(new[] { "c" }));
    }

    [Test]
    public async Task GetEventsAfter_AHistoryThatWrappedAroundItsRing_FindsKeptEventsAndReportsEvictedOnes()
    {
        await using var manager = new WebSocketEventManager(new EventManagerOptions { HistoryCapacity = 10 });
        var all = Enumerable.Range(0, 25).Select(i => Events.Custom("e" + i)).ToList();
        all.ForEach(manager.Publish);
        await Eventually.Until(() => manager.GetMetrics().Dispatched == 25, "every event was dispatched");

        var kept = manager.GetEventsAfter(all[19].EventId, out var after);
        var justBefore = manager.GetEventsAfter(all[14].EventId, out var everyKept);
        var evicted = manager.GetEventsAfter(all[13].EventId, out var none);

        Assert.That(kept.Status, Is.EqualTo(ResumeStatus.Recovered));
        Assert.That(after.Select(e => e.EventType), Is.EqualTo(Enumerable.Range(20, 5).Select(i => "e" + i)));
        Assert.That(justBefore.Status, Is.EqualTo(ResumeStatus.Recovered), "evicted, but right before everything kept: nothing after it is lost");
        Assert.That(everyKept, Has.Count.EqualTo(10));
        Assert.That(evicted.Status, Is.EqualTo(ResumeStatus.HistoryExceeded));
        Assert.That(none, Is.Empty);
        Assert.That(manager.GetHistory().Select(e => e.EventType), Is.EqualTo(Enumerable.Range(15, 10).Select(i => "e" + i)));
    }

    [Test]
    public async Task Subscribe_WhileAPublisherWrapsASmallHistory_ReplayThenLiveIsOneContiguousRun()
    {
        const int Count = 50_000;
        await using var manager = new WebSocketEventManager(new EventManagerOptions { HistoryCapacity = 64 });
        manager.Publish(Events.Custom());
        await Eventually.Until(() => manager.GetMetrics().Dispatched == 1, "the first event was dispatched");
        var publisher = Task.Run(() =>
        {
            for (var i = 1; i < Count; i++)
            {
                manager.Publish(Events.Custom());
            }
        });

        // A recent id may be evicted before the subscription finds it; then that attempt says so, and the next one tries again.
        EventSubscription? subscription = null;
        WebSocketEvent? after = null;
        for (var attempt = 0; attempt < 1000 && subscription is null; attempt++)
        {
            after = manager.GetHistory()[^1];
            var candidate = manager.Subscribe(new ListenerOptions { Capacity = Count }, after.EventId);
            if (candidate.Resume.Status == ResumeStatus.Recovered)
            {
                subscription = candidate;
            }
            else
            {
                Assert.That(candidate.Resume.Status, Is.EqualTo(ResumeStatus.HistoryExceeded));
                await candidate.DisposeAsync();
            }
        }

        Assert.That(subscription, Is.Not.Null, "some attempt found its event still kept");
        await using (subscription)
        {
            await Eventually.Within(publisher, "the publisher to finish");
            var sequences = new List<long>();
            while (sequences.Count < Count - after!.Sequence && await Eventually.Within(subscription!.WaitToReadAsync().AsTask(), "more events"))
            {
                while (subscription.TryRead(out var evt))
                {
                    sequences.Add(evt.Sequence);
                }
            }

            Assert.That(sequences, Is.EqualTo(Enumerable.Range((int)after.Sequence + 1, Count - (int)after.Sequence).Select(s => (long)s)));
        }
    }

    [Test]
    public async Task Subscribe_WithFilters_ReplaysOnlyWhatTheyAccept()
    {
        await using var manager = new WebSocketEventManager();
        var anchor = Events.Custom("anchor");
        manager.Publish(anchor);
        manager.Publish(Events.Custom("keep.a"));
        manager.Publish(Events.Custom("drop"));
        manager.Publish(Events.Custom("keep.b"));
        await Eventually.Until(() => manager.GetMetrics().Dispatched == 4, "every event was dispatched");

        await using var subscription = manager.Subscribe(new ListenerOptions { EventTypes = ["keep.*"] }, anchor.EventId);

        Assert.That(subscription.Resume.Replayed, Is.EqualTo(2));
        Assert.That(subscription.TryRead(out var first) && subscription.TryRead(out var second) ? new[] { first!.EventType, second!.EventType } : [], Is.EqualTo(new[] { "keep.a", "keep.b" }));
    }

    [Test]
    public async Task Subscribe_FilterBlockingDuringTheReplay_DoesNotHoldUpDispatch()
    {
        await using var manager = new WebSocketEventManager();
        var seen = Events.Custom("seen");
        manager.Publish(seen);
        manager.Publish(Events.Custom("replayed"));
        await Eventually.Until(() => manager.GetMetrics().Dispatched == 2, "the events were dispatched");
        var other = new TaskCompletionSource<WebSocketEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        manager.AddListener(evt => other.TrySetResult(evt), new ListenerOptions { EventTypes = ["live"] });
        using var filterEntered = new ManualResetEventSlim();
        using var releaseFilter = new ManualResetEventSlim();
        var options = new ListenerOptions
        {
            Filter = _ =>
            {
                filterEntered.Set();
                return releaseFilter.Wait(TimeSpan.FromSeconds(30));
            },
        };
        var subscribing = Task.Run(() => manager.Subscribe(options, seen.EventId));
        Assert.That(filterEntered.Wait(TimeSpan.FromSeconds(30)), Is.True, "the filter ran for the replay");

        var live = Events.Custom("live");
        manager.Publish(live);

        Assert.That(await Eventually.Within(other.Task, "another listener's event while the filter blocks"), Is.SameAs(live));
        releaseFilter.Set();
        await using var subscription = await Eventually.Within(subscribing, "the subscription");
        Assert.That(subscription.Resume.Replayed, Is.EqualTo(1));
    }

    [Test]
    public async Task Subscribe_ReplayingTheWholePositionOfALiveSubscription_GetsWhatItWouldHaveRead()
    {
        await using var manager = new WebSocketEventManager();
        manager.Publish(Events.Custom("before"));
        await Eventually.Until(() => manager.GetMetrics().Dispatched == 1, "the first event was dispatched");
        var first = manager.Subscribe();
        var position = first.Position;
        first.Dispose();
        var meanwhile = Events.Custom("meanwhile");
        manager.Publish(meanwhile);
        await Eventually.Until(() => manager.GetMetrics().Dispatched == 2, "the second event was dispatched");

        await using var resumed = manager.Subscribe(null, position);

        Assert.That(resumed.Resume.Status, Is.EqualTo(ResumeStatus.Recovered));
        Assert.That(resumed.TryRead(out var evt) ? evt : null, Is.SameAs(meanwhile));
    }

    [Test]
    public async Task Subscribe_FromThePositionOfAStreamWithNoEventsYet_ReplaysFromItsStart()
    {
        await using var manager = new WebSocketEventManager();
        string? position;
        using (var live = manager.Subscribe())
        {
            position = live.Position;
        }

        var first = Events.Custom("first");
        manager.Publish(first);
        await Eventually.Until(() => manager.GetMetrics().Dispatched == 1, "the event was dispatched");

        await using var resumed = manager.Subscribe(null, position);

        Assert.That(position, Is.EqualTo(manager.Epoch));
        Assert.That(resumed.Resume.Status, Is.EqualTo(ResumeStatus.Recovered));
        Assert.That(resumed.TryRead(out var evt) ? evt : null, Is.SameAs(first));
    }

    [Test]
    public async Task Subscribe_FromThePositionOfAQuietStreamWhoseNewestEventExpired_GetsWhatFollowed()
    {
        var time = new ManualTimeProvider();
        await using var manager = new WebSocketEventManager(new EventManagerOptions { TimeProvider = time, HistoryMaxAge = TimeSpan.FromMinutes(1) });
        manager.Publish(Events.Custom("quiet"));
        await Eventually.Until(() => manager.GetMetrics().Dispatched == 1, "the event was dispatched");
        time.Advance(TimeSpan.FromMinutes(2));
        string? position;
        using (var first = manager.Subscribe())
        {
            position = first.Position;
        }

        var next = Events.Custom("next");
        manager.Publish(next);
        await Eventually.Until(() => manager.GetMetrics().Dispatched == 2, "the next event was dispatched");

        await using var resumed = manager.Subscribe(null, position);

        Assert.That(resumed.Resume.Status, Is.EqualTo(ResumeStatus.Recovered));
        Assert.That(resumed.TryRead(out var evt) ? evt : null, Is.SameAs(next));
    }

    [Test]
    public async Task Subscribe_FromTheStartOfAStreamWhoseFirstEventsWereEvicted_ReportsHistoryExceeded()
    {
        await using var manager = new WebSocketEventManager(new EventManagerOptions { HistoryCapacity = 2 });
        for (var i = 0; i < 3; i++)
        {
            manager.Publish(Events.Custom());
        }

        await Eventually.Until(() => manager.GetMetrics().Dispatched == 3, "the events were dispatched");

        await using var resumed = manager.Subscribe(null, manager.Epoch);

        Assert.That(resumed.Resume.Status, Is.EqualTo(ResumeStatus.HistoryExceeded));
    }

    [Test]
    public async Task ReadEventsAsync_AfterAKnownEvent_YieldsTheRestThenLive()
    {
        await using var manager = new WebSocketEventManager();
        var anchor = Events.Custom("anchor");
        manager.Publish(anchor);
        manager.Publish(Events.Custom("kept"));
        await Eventually.Until(() => manager.GetMetrics().Dispatched == 2, "both events were dispatched");
        await using var events = manager.ReadEventsAsync(anchor.EventId).GetAsyncEnumerator();

        Assert.That(await Eventually.Within(events.MoveNextAsync().AsTask(), "the replayed event"), Is.True);
        Assert.That(events.Current.EventType, Is.EqualTo("kept"));
        manager.Publish(Events.Custom("live"));
        Assert.That(await Eventually.Within(events.MoveNextAsync().AsTask(), "the live event"), Is.True);
        Assert.That(events.Current.EventType, Is.EqualTo("live"));
    }

    [TestCase(-1, 1)]
    [TestCase(10, 0)]
    public void Options_InvalidHistorySettings_ThrowNamingThem(int capacity, int maxAgeSeconds)
    {
        var options = new EventManagerOptions { HistoryCapacity = capacity, HistoryMaxAge = TimeSpan.FromSeconds(maxAgeSeconds) };

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new WebSocketEventManager(options))!;

        Assert.That(error.ParamName, Is.EqualTo(capacity < 0 ? nameof(EventManagerOptions.HistoryCapacity) : nameof(EventManagerOptions.HistoryMaxAge)));
    }
}
