using System.Buffers;
using System.Diagnostics;
using System.Text.Json;

namespace EventManager.Benchmarks.Sockets;

/// <summary>
/// `socket-profile [clients]`: what one socket client's send path spends its time on, for benchmarks/README.md and for
/// running under `dotnet-trace collect --profile dotnet-sampled-thread-time`. First the cost of writing an event's JSON the
/// first time, over 50,000 distinct events as a send loop meets them, beside writing one event over and over (what a
/// microbenchmark sees); then about 20 seconds of 50,000-event bursts to the clients with batching 50 / 50 ms, printing each
/// burst's rate and how full its frames were.
/// </summary>
internal static class SocketProfile
{
    private const int Events = 50_000;

    public static async Task RunAsync(int clients)
    {
        for (var round = 0; round < 3; round++)
        {
            var (cold, warm) = await SerializationAsync();
            Console.WriteLine($"writing an event's JSON: {cold:F2} us the first time over {Events:N0} distinct events, {warm:F2} us for one event written {Events:N0} times");
        }

        await using var host = await SocketReport.Host.StartAsync();
        using var allocations = new AllocationSampler();
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(20))
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(10))
            {
                allocations.Start();
            }

            var measured = await SocketReport.Throughput(host, clients, batching: true, Events, repeats: 1);
            Console.WriteLine($"{clients} client(s), batching 50 / 50 ms: {measured.Rate:N0} deliveries/s, {measured.EventsPerFrame:F1} events per frame, {measured.AllocatedPerDelivery:F1} B allocated per delivery besides each event's JSON");
        }

        Console.WriteLine("Allocated in the last 10 seconds, sampled by the runtime about every 100 KB, by type:");
        foreach (var (type, bytes) in allocations.Top(15))
        {
            Console.WriteLine($"  {bytes / 1024.0:N0} KB  {type}");
        }
    }

    /// <summary>Microseconds per event: the first write of each of many dispatched events, and one event written repeatedly.</summary>
    private static async Task<(double Cold, double Warm)> SerializationAsync()
    {
        var kept = await SocketReport.DispatchedSamplesAsync(Events);
        var buffer = new ArrayBufferWriter<byte>(1024);
        using var writer = new Utf8JsonWriter(buffer);
        var cold = Time(kept.Count, i => kept[i]);
        var warm = Time(kept.Count, _ => kept[0]);
        return (cold, warm);

        double Time(int count, Func<int, WebSocketEvent> pick)
        {
            var watch = Stopwatch.StartNew();
            for (var i = 0; i < count; i++)
            {
                buffer.ResetWrittenCount();
                writer.Reset(buffer);
                pick(i).WriteTo(writer);
                writer.Flush();
            }

            return watch.Elapsed.TotalMicroseconds / count;
        }
    }
}
