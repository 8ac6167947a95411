using System.Text.Json;

namespace EventManager.Soak;

/// <summary>
/// What one receiver saw of each publisher's numbered events. Each publisher's events reach every instance in publishing
/// order, so a receiver should see each number once, increasing; a jump is a loss unless the instance itself never had
/// those numbers (lost in Redis as it was killed), which the instance's own tracker records as holes.
/// </summary>
internal sealed class Tracker(int publishers)
{
    private readonly long[] _last = Enumerable.Repeat(-1L, publishers).ToArray();
    private readonly List<(long From, long To)>[] _holes = [.. Enumerable.Range(0, publishers).Select(_ => new List<(long, long)>())];
    private readonly Lock _gate = new();

    public long Received { get; private set; }

    public long Duplicates { get; private set; }

    public string? LastEventId { get; private set; }

    public IReadOnlyList<(long From, long To)> Holes(int publisher) => _holes[publisher];

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

            if (last >= 0 && n > last + 1)
            {
                _holes[publisher].Add((last + 1, n - 1));
            }

            _last[publisher] = n;
        }
    }

    /// <summary>Numbers this receiver missed that <paramref name="instance"/> did have.</summary>
    public long LostComparedWith(Tracker instance)
    {
        long lost = 0;
        lock (_gate)
        {
            for (var p = 0; p < _holes.Length; p++)
            {
                foreach (var (from, to) in _holes[p])
                {
                    for (var n = from; n <= to; n++)
                    {
                        if (!instance.IsHole(p, n))
                        {
                            lost++;
                        }
                    }
                }
            }
        }

        return lost;
    }

    private bool IsHole(int publisher, long n)
    {
        lock (_gate)
        {
            return _holes[publisher].Any(h => n >= h.From && n <= h.To);
        }
    }
}
