using System.Diagnostics;
using System.Threading.Channels;
using HdrHistogram;

namespace EventManager.Benchmarks;

/// <summary>
/// Publish-to-listener latency at a fixed rate, recorded with HdrHistogram: the manager with default options and one
/// listener, beside a raw bounded <see cref="Channel{T}"/> and reader loop at the same rate in the same run. Each event
/// is due at a fixed instant (start + n / rate) and its latency is measured from that instant, not from when the
/// publisher got to it, so a stalled publisher shows up as latency instead of hiding it (coordinated omission).
/// </summary>
internal static class LatencyReport
{
    private const int Rate = 100_000;

    public static async Task RunAsync(TimeSpan duration)
    {
        var count = (int)(Rate * duration.TotalSeconds);
        Console.WriteLine($"Latency at a fixed {Rate:N0} events/s for {duration.TotalSeconds:N0} s ({count:N0} events after a 1 s warm-up), one listener, default options; microseconds.");
        Console.WriteLine();
        Console.WriteLine("| path | p50 | p90 | p99 | p99.9 | max | delivered |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        await Measure("raw bounded Channel<T> and reader loop (baseline)", count, RawChannelAsync);
        await Measure("WebSocketEventManager, default options", count, ManagerAsync);
    }

    private static async Task Measure(string name, int count, Func<int, long[], LongHistogram, Task<long>> run)
    {
        await run(Rate, new long[Rate], new LongHistogram(TimeSpan.TicksPerSecond * 10, 3));
        var due = new long[count];
        var histogram = new LongHistogram(Stopwatch.Frequency * 10, 3);
        var delivered = await run(count, due, histogram);
        Console.WriteLine($"| {name} | {Us(histogram, 50)} | {Us(histogram, 90)} | {Us(histogram, 99)} | {Us(histogram, 99.9)} | {Us(histogram, 100)} | {delivered:N0} of {count:N0} |");
    }

    private static async Task<long> ManagerAsync(int count, long[] due, LongHistogram histogram)
    {
        var events = ReadyEvents.Create(count);

        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        long received = 0;
        await using var manager = new WebSocketEventManager();
        manager.AddListener(evt =>
        {
            histogram.RecordValue(Math.Max(0, Stopwatch.GetTimestamp() - due[evt.Sequence - 1]));
            if (++received == count)
            {
                done.SetResult();
            }
        });
        Pace(count, due, i => manager.Publish(events[i]));
        await done.Task.WaitAsync(TimeSpan.FromMinutes(1));
        return received;
    }

    private static async Task<long> RawChannelAsync(int count, long[] due, LongHistogram histogram)
    {
        var channel = Channel.CreateBounded<int>(new BoundedChannelOptions(EventManagerOptions.DefaultIngressCapacity) { SingleReader = true, SingleWriter = true });
        long received = 0;
        var reader = Task.Run(async () =>
        {
            while (await channel.Reader.WaitToReadAsync().ConfigureAwait(false))
            {
                while (channel.Reader.TryRead(out var i))
                {
                    histogram.RecordValue(Math.Max(0, Stopwatch.GetTimestamp() - due[i]));
                    received++;
                }
            }
        });
        Pace(count, due, i =>
        {
            if (!channel.Writer.TryWrite(i))
            {
                channel.Writer.WriteAsync(i).AsTask().GetAwaiter().GetResult();
            }
        });
        channel.Writer.Complete();
        await reader.WaitAsync(TimeSpan.FromMinutes(1));
        return received;
    }

    /// <summary>Publishes event n at start + n / rate, yielding the core while it waits so the other threads can run.</summary>
    private static void Pace(int count, long[] due, Action<int> publish)
    {
        var start = Stopwatch.GetTimestamp() + Stopwatch.Frequency / 100;
        for (var i = 0; i < count; i++)
        {
            due[i] = start + (long)(i * (double)Stopwatch.Frequency / Rate);
        }

        for (var i = 0; i < count; i++)
        {
            while (Stopwatch.GetTimestamp() < due[i])
            {
                Thread.Yield();
            }

            publish(i);
        }
    }

    private static string Us(LongHistogram histogram, double percentile) =>
        (histogram.GetValueAtPercentile(percentile) * 1_000_000.0 / Stopwatch.Frequency).ToString("N1", System.Globalization.CultureInfo.InvariantCulture);
}
