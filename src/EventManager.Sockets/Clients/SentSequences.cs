namespace EventManager.Sockets;

/// <summary>
/// The manager sequences one connection has sent, kept as runs of consecutive numbers, so that a re-subscription skips exactly
/// those and nothing else: not the holes a drop or a filter change left between them. Appending the next sequence extends the
/// last run, so the usual cost per event is a comparison. Used by the client's send side only.
/// </summary>
internal sealed class SentSequences
{
    // Beyond this many runs (a client that keeps losing events to its queue), the oldest are forgotten: a later resume may then
    // send one of those events again, which a client sees as a duplicate id, never as a silent gap.
    private const int MaxRuns = 4096;

    private readonly List<(long From, long To)> _runs = [];

    public void Add(long sequence)
    {
        if (_runs.Count > 0 && _runs[^1] is var last && sequence >= last.From)
        {
            if (sequence <= last.To)
            {
                return;
            }

            if (sequence == last.To + 1)
            {
                _runs[^1] = (last.From, sequence);
                return;
            }
        }

        var at = FindRun(sequence);
        if (at >= 0)
        {
            return;
        }

        _runs.Insert(~at, (sequence, sequence));
        MergeAround(~at);
        if (_runs.Count > MaxRuns)
        {
            _runs.RemoveAt(0);
        }
    }

    public bool Contains(long sequence) => _runs.Count > 0 && FindRun(sequence) >= 0;

    /// <summary>The index of the run holding the sequence, or the bitwise complement of where a run for it would go.</summary>
    private int FindRun(long sequence)
    {
        int low = 0, high = _runs.Count - 1;
        while (low <= high)
        {
            var middle = low + ((high - low) / 2);
            var (from, to) = _runs[middle];
            if (sequence < from)
            {
                high = middle - 1;
            }
            else if (sequence > to)
            {
                low = middle + 1;
            }
            else
            {
                return middle;
            }
        }

        return ~low;
    }

    private void MergeAround(int index)
    {
        if (index + 1 < _runs.Count && _runs[index].To + 1 == _runs[index + 1].From)
        {
            _runs[index] = (_runs[index].From, _runs[index + 1].To);
            _runs.RemoveAt(index + 1);
        }

        if (index > 0 && _runs[index - 1].To + 1 == _runs[index].From)
        {
            _runs[index - 1] = (_runs[index - 1].From, _runs[index].To);
            _runs.RemoveAt(index);
        }
    }
}
