using System.Text.Json;

namespace EventManager.Soak;

/// <summary>
/// What one receiver saw of each publisher's numbered events. Each publisher's events reach every receiver in publishing
/// order, so a receiver should see each number once, increasing from 0 (every receiver exists before publishing begins);
/// a jump leaves a hole of numbers it never saw.
/// </summary>
internal sealed class Tracker(int publishers)
{
    private readonly long[] _last = Enumerable.Repeat(-1L, publishers).ToArray();
    private readonly List<(long From, long To)>[] _holes = [.. Enumerable.Range(0, publishers).Select(_ => new List<(long, long)>())];
    private readonly Lock _gate = new();

    /// <summary>Soak events received, duplicates included.</summary>
    public long Received { get; private set; }

    /// <summary>Soak events received again, or out of order (a number not above the last one).</summary>
    public long Duplicates { get; private set; }

    /// <summary>The id of the last soak event received, to resume after.</summary>
    public string? LastEventId { get; private set; }

    public long Last(int publisher)
    {
        lock (_gate)
        {
            return _last[publisher];
        }
    }

    /// <summary>Reads <c>data.p</c> and <c>data.n</c> of a soak event.</summary>
    public void Record(JsonElement evt)
    {
        if (evt.GetProperty("event_type").GetString() != "soak.tick")
        {
            return;
        }

        var data = evt.GetProperty("data");
        Record(data.GetProperty("p").GetInt32(), data.GetProperty("n").GetInt64(), evt.GetProperty("event_id").GetString());
    }

    public void Record(int publisher, long n, string? eventId)
    {
        lock (_gate)
        {
            Received++;
            LastEventId = eventId ?? LastEventId;
            var last = _last[publisher];
            if (n <= last)
            {
                Duplicates++;
                return;
            }

            if (n > last + 1)
            {
                _holes[publisher].Add((last + 1, n - 1));
            }

            _last[publisher] = n;
        }
    }

    /// <summary>Every number this receiver skipped, by publisher.</summary>
    public IEnumerable<(int Publisher, long N)> Missed()
    {
        List<(int, long From, long To)> holes;
        lock (_gate)
        {
            holes = [.. _holes.SelectMany((list, p) => list.Select(h => (p, h.From, h.To)))];
        }

        return holes.SelectMany(h => LongRange(h.From, h.To).Select(n => (h.Item1, n)));
    }

    /// <summary>Whether this receiver saw number <paramref name="n"/> of <paramref name="publisher"/>.</summary>
    public bool Saw(int publisher, long n)
    {
        lock (_gate)
        {
            return n <= _last[publisher] && !_holes[publisher].Any(h => n >= h.From && n <= h.To);
        }
    }

    /// <summary>Numbers this receiver missed that <paramref name="instance"/> did have.</summary>
    public long LostComparedWith(Tracker instance) => Missed().Count(m => instance.Saw(m.Publisher, m.N));

    private static IEnumerable<long> LongRange(long from, long to)
    {
        for (var n = from; n <= to; n++)
        {
            yield return n;
        }
    }
}
