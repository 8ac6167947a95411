using System.Collections.Concurrent;
using EventManager.History;

namespace EventManager.Tests;

public class EventIdTests
{
    [Test]
    public void New_AnyTime_IsAVersion7GuidInLowercaseHexCarryingItsMillisecond()
    {
        var now = new DateTimeOffset(2026, 11, 30, 12, 0, 0, 123, TimeSpan.Zero);

        var id = EventIds.New(now);

        Assert.That(id, Does.Match("^[0-9a-f]{12}7[0-9a-f]{3}[89ab][0-9a-f]{15}$"));
        Assert.That(Guid.ParseExact(id, "N").Version, Is.EqualTo(7));
        Assert.That(EventIds.TryGetTimestamp(id, out var created), Is.True);
        Assert.That(created, Is.EqualTo(now));
    }

    [Test]
    public void New_ManyThreadsInOneMillisecond_NeverRepeats()
    {
        var now = DateTimeOffset.UtcNow;
        var ids = new ConcurrentBag<string>();

        Parallel.For(0, 8, _ =>
        {
            for (var i = 0; i < 50_000; i++)
            {
                ids.Add(EventIds.New(now));
            }
        });

        Assert.That(ids.Distinct().Count(), Is.EqualTo(400_000));
    }

    [Test]
    public void Constructor_NewEvent_IdCarriesTheSameInstantAsTheTimestamp()
    {
        var evt = new CustomEvent("note");

        Assert.That(EventIds.TryGetTimestamp(evt.EventId, out var created), Is.True);
        Assert.That(created, Is.EqualTo(DateTimeOffset.FromUnixTimeMilliseconds(evt.Timestamp.ToUnixTimeMilliseconds())));
    }
}
