using EventManager.Listeners;
using EventManager.Tests.Support;

namespace EventManager.Tests;

public class ListenerQueueTests
{
    private static WebSocketEvent[] Numbered(int count) =>
        [.. Enumerable.Range(1, count).Select(i => (WebSocketEvent)Events.Message(i.ToString(System.Globalization.CultureInfo.InvariantCulture)))];

    private static List<string> ReadAll(ListenerQueue queue)
    {
        var read = new List<string>();
        var buffer = new WebSocketEvent[3];
        int count;
        while ((count = queue.TryReadMany(buffer)) > 0)
        {
            read.AddRange(buffer.Take(count).Select(e => ((AgentMessageEvent)e).Message));
        }

        return read;
    }

    [TestCase(OverflowPolicy.DropOldest, new[] { "4", "5", "6", "7" })]
    [TestCase(OverflowPolicy.DropNewest, new[] { "1", "2", "3", "4" })]
    public void Write_DropPolicyFull_KeepsWhatThePolicySaysAndReportsDrops(OverflowPolicy policy, string[] expected)
    {
        var queue = new ListenerQueue(4, policy);

        var taken = queue.Write(Numbered(7), out var dropped);

        Assert.That((taken, dropped), Is.EqualTo((7, 3)));
        Assert.That(ReadAll(queue), Is.EqualTo(expected));
    }

    [Test]
    public void Write_WaitPolicyFull_StopsAtCapacityWithoutDropping()
    {
        var queue = new ListenerQueue(4, OverflowPolicy.Wait);

        var taken = queue.Write(Numbered(7), out var dropped);

        Assert.That((taken, dropped), Is.EqualTo((4, 0)));
        Assert.That(ReadAll(queue), Is.EqualTo(new[] { "1", "2", "3", "4" }));
    }

    [Test]
    public void Write_StorageGrowsWhileWrapped_KeepsOrder()
    {
        var queue = new ListenerQueue(100, OverflowPolicy.Wait);
        var events = Numbered(60);
        queue.Write(events.AsSpan(0, 10), out _);
        Assert.That(queue.TryReadMany(new WebSocketEvent[8]), Is.EqualTo(8), "the head moves past the start of the storage");

        queue.Write(events.AsSpan(10, 50), out _);

        Assert.That(ReadAll(queue), Is.EqualTo(Enumerable.Range(9, 52).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture))));
    }

    [Test]
    public void Write_Completed_TakesEverythingAndKeepsNothing()
    {
        var queue = new ListenerQueue(4, OverflowPolicy.Wait);
        queue.Complete();

        var taken = queue.Write(Numbered(7), out var dropped);

        Assert.That((taken, dropped, queue.Count), Is.EqualTo((7, 0, 0)));
    }

    [Test]
    public async Task WaitToReadAsync_EventWritten_CompletesWithTrue()
    {
        var queue = new ListenerQueue(4, OverflowPolicy.DropOldest);
        var wait = queue.WaitToReadAsync(CancellationToken.None).AsTask();
        Assert.That(wait.IsCompleted, Is.False, "nothing is queued yet");

        queue.Write(Numbered(1), out _);

        Assert.That(await Eventually.Within(wait, "the reader is woken"), Is.True);
    }

    [Test]
    public async Task WaitToReadAsync_CompletedAfterEvents_TrueUntilDrainedThenFalse()
    {
        var queue = new ListenerQueue(4, OverflowPolicy.DropOldest);
        queue.Write(Numbered(2), out _);
        queue.Complete();

        Assert.That(await queue.WaitToReadAsync(CancellationToken.None), Is.True, "events are left");
        Assert.That(ReadAll(queue), Has.Count.EqualTo(2));
        Assert.That(await queue.WaitToReadAsync(CancellationToken.None), Is.False, "completed and drained");
    }

    [Test]
    public async Task WaitToReadAsync_CompletedWhileWaiting_CompletesWithFalse()
    {
        var queue = new ListenerQueue(4, OverflowPolicy.DropOldest);
        var wait = queue.WaitToReadAsync(CancellationToken.None).AsTask();

        queue.Complete();

        Assert.That(await Eventually.Within(wait, "the reader is woken"), Is.False);
    }

    [Test]
    public async Task WaitToReadAsync_CancelledThenWaitedAgain_ThrowsThenWakesOnTheNextEvent()
    {
        var queue = new ListenerQueue(4, OverflowPolicy.DropOldest);
        using var cancel = new CancellationTokenSource();
        var first = queue.WaitToReadAsync(cancel.Token).AsTask();

        await cancel.CancelAsync();

        Assert.That(async () => await first.WaitAsync(Eventually.DefaultTimeout), Throws.InstanceOf<OperationCanceledException>());
        var second = queue.WaitToReadAsync(CancellationToken.None).AsTask();
        queue.Write(Numbered(1), out _);
        Assert.That(await Eventually.Within(second, "the reused wait is woken"), Is.True);
    }

    [Test]
    public async Task WaitToReadAsync_AgainWhileAWaitIsPending_BothAreWokenByTheNextEvent()
    {
        var queue = new ListenerQueue(4, OverflowPolicy.DropOldest);
        var givenUpOn = queue.WaitToReadAsync(CancellationToken.None).AsTask();
        var again = queue.WaitToReadAsync(CancellationToken.None).AsTask();
        Assert.That(again.IsCompleted, Is.False, "nothing is queued yet");

        queue.Write(Numbered(1), out _);

        Assert.That(await Eventually.Within(Task.WhenAll(givenUpOn, again), "both waits are woken"), Is.EqualTo(new[] { true, true }));
    }

    [Test]
    public async Task WaitToReadAsync_TokenOfAWaitNeverAwaitedCancelled_LeavesTheNextWaitAlone()
    {
        var queue = new ListenerQueue(4, OverflowPolicy.DropOldest);
        using var first = new CancellationTokenSource();
#pragma warning disable CA2012 // The point: a wait given up on without its result ever being asked for.
        _ = queue.WaitToReadAsync(first.Token);
#pragma warning restore CA2012
        queue.Write(Numbered(1), out _);
        queue.TryRead(out _);
        var next = queue.WaitToReadAsync(CancellationToken.None).AsTask();

        await first.CancelAsync();

        Assert.That(next.IsCompleted, Is.False, "the first wait's token is not the next wait's");
        queue.Write(Numbered(1), out _);
        Assert.That(await Eventually.Within(next, "the next wait is woken"), Is.True);
    }

    [Test]
    public async Task GetResult_AWaitsTokenAfterTheNextWaitIsArmed_IsRefusedAndLeavesTheNextWaitCancellable()
    {
        var queue = new ListenerQueue(4, OverflowPolicy.DropOldest);
        var givenUpOn = queue.WaitToReadAsync(CancellationToken.None);
        queue.Write(Numbered(1), out _);
        queue.TryRead(out _);
        using var cancel = new CancellationTokenSource();
        var next = queue.WaitToReadAsync(cancel.Token).AsTask();

        Assert.That(() => givenUpOn.GetAwaiter().GetResult(), Throws.InvalidOperationException);
        await cancel.CancelAsync();

        Assert.That(async () => await next.WaitAsync(Eventually.DefaultTimeout), Throws.InstanceOf<OperationCanceledException>());
    }

    [Test]
    public async Task WaitForRoomAsync_FullUntilTheReaderTakes_CompletesWhenRoomIsMade()
    {
        var queue = new ListenerQueue(2, OverflowPolicy.Wait);
        queue.Write(Numbered(2), out _);
        var room = queue.WaitForRoomAsync(CancellationToken.None);
        Assert.That(room.IsCompleted, Is.False, "the queue is full");

        queue.TryRead(out _);

        await Eventually.Within(room, "the writer is told there is room");
        Assert.That(queue.Write(Numbered(1), out _), Is.EqualTo(1));
    }

    [Test]
    public async Task WriteAndRead_ConcurrentBatches_EveryEventOnceInOrder()
    {
        var events = Numbered(50_000);
        var queue = new ListenerQueue(256, OverflowPolicy.Wait);
        var writer = Task.Run(async () =>
        {
            var written = 0;
            while (written < events.Length)
            {
                var batch = events.AsSpan(written, Math.Min(1 + (written % 37), events.Length - written));
                var taken = queue.Write(batch, out _);
                written += taken;
                if (taken < batch.Length)
                {
                    await queue.WaitForRoomAsync(CancellationToken.None);
                }
            }

            queue.Complete();
        });

        var read = 0;
        var outOfOrder = 0;
        var reader = Task.Run(async () =>
        {
            var buffer = new WebSocketEvent[50];
            while (await queue.WaitToReadAsync(CancellationToken.None))
            {
                var count = queue.TryReadMany(buffer);
                for (var i = 0; i < count; i++, read++)
                {
                    outOfOrder += ReferenceEquals(buffer[i], events[read]) ? 0 : 1;
                }
            }
        });

        await Eventually.Within(Task.WhenAll(writer, reader), "every event is written and read");
        Assert.That((read, outOfOrder), Is.EqualTo((events.Length, 0)));
    }
}
