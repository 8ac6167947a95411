namespace EventManager.Diagnostics;

/// <summary>
/// Counts the events one queue drops and logs them, so no loss is only a counter nobody reads: the first drop after a
/// quiet spell is reported at once, and the drops that follow are summarised at most once per <see cref="Interval"/>
/// until they stop. <see cref="Flush"/> reports what is left when the queue goes away.
/// </summary>
/// <remarks>
/// <see cref="Add"/> runs on the queue's writer (the dispatcher, or publishers for the ingress) and costs an interlocked
/// add unless it has to arm the summary; the summary timer runs the report callback on the thread pool, never under a lock.
/// </remarks>
internal sealed class DropReporter(TimeProvider time, DropReporter.Report report)
{
    /// <summary>The shortest time between two reports of one queue.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private const int Quiet = 0;
    private const int Armed = 1;
    private const int Completed = 2;

    private long _total;
    private long _reported;
    private int _state;

    // Created and changed only by the thread that moved _state from Quiet to Armed, or by the timer's own callback.
    private ITimer? _timer;

    /// <summary>Writes one report.</summary>
    /// <param name="dropped">Drops since the previous report.</param>
    /// <param name="total">Drops in all.</param>
    public delegate void Report(long dropped, long total);

    /// <summary>Every drop counted.</summary>
    public long Total => Volatile.Read(ref _total);

    /// <summary>Counts drops; reports at once when the queue had been quiet, otherwise leaves them to the next summary.</summary>
    public void Add(long count = 1)
    {
        Interlocked.Add(ref _total, count);
        if (Volatile.Read(ref _state) == Quiet && Interlocked.CompareExchange(ref _state, Armed, Quiet) == Quiet)
        {
            Flush();
            (_timer ??= time.CreateTimer(static s => ((DropReporter)s!).Summarise(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan))
                .Change(Interval, Timeout.InfiniteTimeSpan);

            // Completed while this arm was under way: the timer Complete may not have seen must not outlive the queue.
            if (Volatile.Read(ref _state) == Completed)
            {
                _timer.Dispose();
            }
        }
    }

    /// <summary>Reports the drops not reported yet, if any.</summary>
    public void Flush()
    {
        while (true)
        {
            var total = Volatile.Read(ref _total);
            var reported = Volatile.Read(ref _reported);
            if (total <= reported)
            {
                return;
            }

            if (Interlocked.CompareExchange(ref _reported, total, reported) == reported)
            {
                Write(total - reported, total);
                return;
            }
        }
    }

    /// <summary>The queue is gone: reports what is left and stops the summary timer.</summary>
    public void Complete()
    {
        Interlocked.Exchange(ref _state, Completed);
        Flush();
        _timer?.Dispose();
    }

    private void Write(long dropped, long total)
    {
        try
        {
            report(dropped, total);
        }
#pragma warning disable CA1031 // A logger that throws must not stop the dispatcher, a publisher or a timer thread; the count stays in the metrics.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    private void Summarise()
    {
        if (Volatile.Read(ref _total) > Volatile.Read(ref _reported))
        {
            Flush();
            if (Volatile.Read(ref _state) == Armed)
            {
                _timer!.Change(Interval, Timeout.InfiniteTimeSpan);
            }

            return;
        }

        // Quiet for a whole interval: the next drop reports at once. One that raced in just before this is caught here.
        if (Interlocked.CompareExchange(ref _state, Quiet, Armed) == Armed
            && Volatile.Read(ref _total) > Volatile.Read(ref _reported)
            && Interlocked.CompareExchange(ref _state, Armed, Quiet) == Quiet)
        {
            Flush();
            _timer!.Change(Interval, Timeout.InfiniteTimeSpan);
        }
    }
}
