using System.Diagnostics;

namespace EventManager.Benchmarks;

/// <summary>
/// Publishes at a fixed rate from a thread of its own, as a simulation's loop would: a pacing loop that sleeps on a
/// thread-pool thread would take one of the pool's few threads (two on this machine) away from the library it measures.
/// </summary>
internal static class FixedRatePublisher
{
    /// <summary>
    /// Calls <paramref name="publish"/> <paramref name="total"/> times at <paramref name="perSecond"/>, in steps of about a
    /// millisecond, paced by the clock so that a late step is followed by catching up rather than by a lower rate.
    /// </summary>
    /// <returns>A task that completes when the last event has been published.</returns>
    public static Task RunAsync(int total, int perSecond, Action publish)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                var clock = Stopwatch.StartNew();
                var sent = 0;
                while (sent < total)
                {
                    var due = Math.Min(total, (int)(clock.Elapsed.TotalSeconds * perSecond));
                    while (sent < due)
                    {
                        publish();
                        sent++;
                    }

                    Thread.Sleep(1);
                }

                done.SetResult();
            }
            catch (Exception ex)
            {
                done.SetException(ex);
            }
        })
        {
            IsBackground = true,
            Name = "fixed-rate publisher",
        };
        thread.Start();
        return done.Task;
    }
}
