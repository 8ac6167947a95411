using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.WebSockets;

namespace EventManager.Benchmarks.Sockets;

/// <summary>
/// Event deliveries per second to 1, 10 and 100 local WebSocket clients through MapEventWebSocket, batching on and off, beside
/// a bare Kestrel WebSocket broadcast of the same frames; publish-to-client latency at a fixed rate; bytes on the wire with
/// and without permessage-deflate. One process: the server and every client share the machine's cores.
/// </summary>
internal static partial class SocketReport
{
    private static double? s_keptJsonPerEvent;

    private const int JitQuietMethods = 20;
    private static readonly int[] LatencyRates = [1_000, 10_000];
    private static readonly TimeSpan MinWarmUp = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan MaxWarmUp = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan JitQuietFor = TimeSpan.FromSeconds(3);

    /// <summary>Runs the report; the short form (CI's, so it cannot rot) uses fewer clients, events and seconds.</summary>
    public static async Task RunAsync(bool full = true)
    {
        var latencyDuration = TimeSpan.FromSeconds(full ? 10 : 1);
        await using var host = await Host.StartAsync();
        var sample = Sample();
        Console.WriteLine($"Payload: agent_message events of {sample.ToUtf8Json().Length} bytes of JSON. Kestrel on 127.0.0.1, clients in the same process.");
        Console.WriteLine($"Options: the defaults (SendQueueCapacity {EventManager.Sockets.WebSocketBroadcasterOptions.DefaultSendQueueCapacity:N0}, SlowClientPolicy {new EventManager.Sockets.WebSocketBroadcasterOptions().SlowClientPolicy}, IngressCapacity {EventManagerOptions.DefaultIngressCapacity:N0}), except EnableCompression = true, which only the wire-bytes client asks for. Batching is the client's choice, in its query.");
        Console.WriteLine($"GC: {(System.Runtime.GCSettings.IsServerGC ? "Server, as an ASP.NET Core app (Microsoft.NET.Sdk.Web) runs by default" : "Workstation, a console app's default; DOTNET_gcServer=1 gives an ASP.NET Core app's default, Server")}, {Environment.ProcessorCount} cores.");
        if (full)
        {
            var (took, compiled) = await WarmUpAsync(host);
            Console.WriteLine($"Warm-up: bursts through both paths until the JIT went quiet (at most {JitQuietMethods} methods compiled, tier-1 recompilations included, over {JitQuietFor.TotalSeconds:N0} s), as in a server that has been running: {took.TotalSeconds:N0} s, {compiled:N0} methods compiled (a fixed 5 s measured partly unoptimised code; benchmarks/README.md).");
        }
        Console.WriteLine();
        Console.WriteLine($"Each row: the clients connect once and take one unmeasured burst (their queues and buffers grow to their working size, as in a server that has been running), then the median of {(full ? 5 : 1)} measured bursts. Allocated: bytes the whole process allocated per delivery, clients included, less what keeping each event's JSON costs (its share of a slab and the reference to it, measured once; made once per event whatever the number of clients, reported beside).");
        Console.WriteLine();
        Console.WriteLine("| clients | batching | bare Kestrel broadcast (deliveries/s) | MapEventWebSocket (deliveries/s) | ratio | allocated per delivery, bare | allocated per delivery, ours | each event's JSON |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|");
        foreach (var clients in full ? new[] { 1, 10, 100, 1000 } : [1, 10])
        {
            foreach (var batching in new[] { true, false })
            {
                // Fewer than a client's default queue holds, so a run measures delivery, not drops.
                var events = full ? clients switch { 1000 => 5_000, 100 => 20_000, _ => 50_000 } : 2_000;
                var bare = await BareThroughput(host, clients, batching, events, full ? 5 : 1);
                var ours = await Throughput(host, clients, batching, events, full ? 5 : 1);
                Console.WriteLine($"| {clients} | {(batching ? "50 / 50 ms" : "off")} | {bare.Rate:N0} | {ours.Rate:N0} | {ours.Rate / bare.Rate:F2} | {bare.AllocatedPerDelivery:F1} B | {ours.AllocatedPerDelivery:F1} B | {ours.JsonPerEvent:F0} B |");
            }
        }

        Console.WriteLine();
        Console.WriteLine($"| latency, publish to client receive, {latencyDuration.TotalSeconds:N0} s to {(full ? 100 : 10)} clients, batching 50 / 50 ms (ms) | p50 | p90 | p99 | p99.9 | max |");
        Console.WriteLine("|---|---|---|---|---|---|");
        foreach (var rate in LatencyRates)
        {
            var latencies = await Latency(host, full ? 100 : 10, latencyDuration, rate);
            Console.WriteLine($"| {rate:N0} events/s ({latencies.Length:N0} samples from 10 of the clients) | {P(latencies, 0.5):F2} | {P(latencies, 0.9):F2} | {P(latencies, 0.99):F2} | {P(latencies, 0.999):F2} | {latencies[^1]:F2} |");
        }
        Console.WriteLine();
        var (plain, deflated) = await WireBytes(host);
        Console.WriteLine("| 5,000 agent_message events in batches of 50, one client | bytes on the wire | per event |");
        Console.WriteLine("|---|---|---|");
        Console.WriteLine($"| without compression | {plain:N0} | {plain / 5000.0:F0} |");
        Console.WriteLine($"| permessage-deflate | {deflated:N0} | {deflated / 5000.0:F0} ({deflated / (double)plain:P0}) |");
    }

    /// <summary>
    /// Bursts through both paths until the JIT has gone quiet: tiered compilation keeps recompiling the hot code with what it
    /// profiled for 10 seconds or more on this machine, and a row measured before then measures the JIT as much as the path.
    /// </summary>
    /// <returns>How long it took and how many methods the JIT had compiled by then.</returns>
    private static async Task<(TimeSpan Took, long Compiled)> WarmUpAsync(Host host)
    {
        var clock = Stopwatch.StartNew();
        var quietSince = clock.Elapsed;
        var compiled = System.Runtime.JitInfo.GetCompiledMethodCount();
        var compiledThen = compiled;
        while (clock.Elapsed < MaxWarmUp && (clock.Elapsed < MinWarmUp || clock.Elapsed - quietSince < JitQuietFor))
        {
            foreach (var batching in new[] { true, false })
            {
                await Throughput(host, 1, batching, 20_000, repeats: 1);
                await BareThroughput(host, 1, batching, 20_000, repeats: 1);
            }

            compiled = System.Runtime.JitInfo.GetCompiledMethodCount();
            if (compiled - compiledThen > JitQuietMethods)
            {
                (quietSince, compiledThen) = (clock.Elapsed, compiled);
            }
        }

        return (clock.Elapsed, compiled);
    }

    internal static AgentMessageEvent Sample() =>
        new("agent-17", "cognitive_psychologist", "The network is converging on a shared view of the emergency.", new Sentiment(0.42, SentimentLabel.Positive));

    /// <summary>What one row of the throughput table measured.</summary>
    /// <param name="Rate">Deliveries per second, the median of the measured bursts.</param>
    /// <param name="AllocatedPerDelivery">Bytes the process allocated per delivery over the measured bursts, less the events' own JSON.</param>
    /// <param name="JsonPerEvent">Bytes allocated to keep each event's JSON, made once per event whatever the number of clients.</param>
    /// <param name="EventsPerFrame">Events per frame the clients read over the measured bursts.</param>
    internal readonly record struct Measured(double Rate, double AllocatedPerDelivery, double JsonPerEvent, double EventsPerFrame);

    /// <summary>
    /// Deliveries per second of bursts of ready-made events (created before the clock, as the bare broadcast's frames are
    /// prepared before it) to clients connected once and warmed by a first, unmeasured burst.
    /// </summary>
    internal static async Task<Measured> Throughput(Host host, int clients, bool batching, int events, int repeats)
    {
        var query = batching ? "?batch_size=50&batch_window_ms=50" : "?batch_window_ms=0";
        var readers = await Task.WhenAll(Enumerable.Range(0, clients).Select(_ => Reader.ConnectAsync(host.Ws("/ws/events" + query))));
        await WaitUntil(() => host.Broadcaster.ClientCount == clients);
        var rates = new List<double>();
        long allocated = 0, framesBefore = 0;
        double json = 0;
        var keptJson = await KeptJsonPerEventAsync();
        for (var burst = 0; burst <= repeats; burst++)
        {
            var batch = Enumerable.Range(0, events).Select(_ => Sample()).ToArray();
            var done = Task.WhenAll(readers.Select(r => r.Expect(events)));
            var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
            var clock = Stopwatch.StartNew();
            foreach (var evt in batch)
            {
                host.Manager.Publish(evt);
            }

            await done.WaitAsync(TimeSpan.FromMinutes(5));
            var elapsed = clock.Elapsed;
            var allocatedDuring = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
            if (burst == 0)
            {
                framesBefore = readers.Sum(r => r.FramesRead);
                continue;
            }

            rates.Add((double)events * clients / elapsed.TotalSeconds);
            allocated += allocatedDuring;
            json += batch.Length * keptJson;
        }

        var frames = readers.Sum(r => r.FramesRead) - framesBefore;
        await Task.WhenAll(readers.Select(r => r.DisposeAsync().AsTask()));
        await WaitUntil(() => host.Broadcaster.ClientCount == 0);
        var deliveries = (double)events * clients * repeats;
        return new Measured(Median(rates), (allocated - json) / deliveries, json / ((double)events * repeats), deliveries / frames);
    }

    /// <summary>
    /// Bytes allocated to keep one published event's JSON (its share of a slab and the reference to it), measured once by
    /// caching the JSON of 10,000 dispatched events on this thread: made once per event, whatever the number of clients.
    /// </summary>
    private static async Task<double> KeptJsonPerEventAsync()
    {
        if (s_keptJsonPerEvent is { } known)
        {
            return known;
        }

        var kept = await DispatchedSamplesAsync(10_000);
        var before = GC.GetAllocatedBytesForCurrentThread();
        foreach (var evt in kept)
        {
            evt.ToUtf8Json();
        }

        s_keptJsonPerEvent = (double)(GC.GetAllocatedBytesForCurrentThread() - before) / kept.Count;
        return s_keptJsonPerEvent.Value;
    }

    /// <summary>
    /// <paramref name="count"/> sample events, published and dispatched by a manager of their own with no client, so each is
    /// stamped and its JSON not yet written, as a send loop first meets it.
    /// </summary>
    internal static async Task<IReadOnlyList<WebSocketEvent>> DispatchedSamplesAsync(int count)
    {
        await using var manager = new WebSocketEventManager(new EventManagerOptions { HistoryCapacity = count });
        var dispatched = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        manager.AddListener(evt =>
        {
            if (evt.Sequence == count)
            {
                dispatched.TrySetResult();
            }
        });
        for (var i = 0; i < count; i++)
        {
            manager.Publish(Sample());
        }

        await dispatched.Task.WaitAsync(TimeSpan.FromMinutes(1));
        return manager.GetHistory();
    }

    /// <summary>The same as <see cref="Throughput"/> for the bare broadcast: prepared frames written to every socket concurrently.</summary>
    private static async Task<Measured> BareThroughput(Host host, int clients, bool batching, int events, int repeats)
    {
        host.BareSockets.Clear();
        var readers = await Task.WhenAll(Enumerable.Range(0, clients).Select(_ => Reader.ConnectAsync(host.Ws("/bare"))));
        await WaitUntil(() => host.BareSockets.Count == clients);
        var sockets = host.BareSockets.ToArray();

        // The frames the library would send for the same events, prepared once and written by one loop per socket, all
        // concurrently: the floor of a broadcast, with no per-event work at all and no client waiting for another.
        var frame = batching ? BareBatchFrame() : BareEventFrame();
        var perFrame = batching ? 50 : 1;
        var rates = new List<double>();
        long allocated = 0;
        for (var burst = 0; burst <= repeats; burst++)
        {
            var done = Task.WhenAll(readers.Select(r => r.Expect(events)));
            var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
            var clock = Stopwatch.StartNew();
            await Task.WhenAll(sockets.Select(socket => Task.Run(async () =>
            {
                for (var sent = 0; sent < events; sent += perFrame)
                {
                    await socket.SendAsync(frame, WebSocketMessageType.Text, true, CancellationToken.None);
                }
            })));

            await done.WaitAsync(TimeSpan.FromMinutes(5));
            var elapsed = clock.Elapsed;
            var allocatedDuring = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
            if (burst > 0)
            {
                rates.Add((double)events * clients / elapsed.TotalSeconds);
                allocated += allocatedDuring;
            }
        }

        host.ReleaseBare();
        await Task.WhenAll(readers.Select(r => r.DisposeAsync().AsTask()));
        return new Measured(Median(rates), allocated / ((double)events * clients * repeats), 0, perFrame);
    }

    private static byte[] BareEventFrame()
    {
        var frame = new ArrayBufferWriter<byte>();
        frame.Write("{\"type\":\"event\","u8);
        frame.Write(Stamped(1)[0].ToUtf8Json().Span[1..]);
        return frame.WrittenSpan.ToArray();
    }

    private static byte[] BareBatchFrame()
    {
        var frame = new ArrayBufferWriter<byte>();
        frame.Write("{\"type\":\"batch\",\"count\":50,\"timestamp\":\"2026-01-01T00:00:00.0000000Z\",\"events\":["u8);
        var events = Stamped(50);
        for (var i = 0; i < events.Count; i++)
        {
            if (i > 0)
            {
                frame.Write(","u8);
            }

            frame.Write(events[i].ToUtf8Json().Span);
        }

        frame.Write("]}"u8);
        return frame.WrittenSpan.ToArray();
    }

    /// <summary>Events published to a throwaway manager, so their JSON has the envelope (sequence, origin) the library sends.</summary>
    private static List<WebSocketEvent> Stamped(int count)
    {
        using var manager = new WebSocketEventManager();
        var events = Enumerable.Range(0, count).Select(_ => (WebSocketEvent)Sample()).ToList();
        events.ForEach(manager.Publish);
        while (events[^1].Sequence == 0)
        {
            Thread.SpinWait(100);
        }

        return events;
    }

    private static async Task<double[]> Latency(Host host, int clients, TimeSpan duration, int eventsPerSecond)
    {
        var total = (int)(eventsPerSecond * duration.TotalSeconds);
        var samples = new ConcurrentBag<double>();
        var readers = await Task.WhenAll(Enumerable.Range(0, clients).Select(i => Reader.ConnectAsync(host.Ws("/ws/events?batch_size=50&batch_window_ms=50"), i < 10 ? samples : null)));
        await WaitUntil(() => host.Broadcaster.ClientCount == clients);
        var done = Task.WhenAll(readers.Select(r => r.Expect(total)));
        await FixedRatePublisher.RunAsync(total, eventsPerSecond, () => host.Manager.BroadcastAgentMessage("agent-17", "cognitive_psychologist", "The network is converging on a shared view of the emergency."));
        await done.WaitAsync(TimeSpan.FromMinutes(2));
        await Task.WhenAll(readers.Select(r => r.DisposeAsync().AsTask()));
        var sorted = samples.ToArray();
        Array.Sort(sorted);
        return sorted;
    }

    private static async Task<(long Plain, long Deflated)> WireBytes(Host host)
    {
        async Task<long> Measure(bool compress)
        {
            var reader = await Reader.ConnectAsync(host.Ws("/ws/events?batch_size=50&batch_window_ms=200"), compress: compress);
            await WaitUntil(() => host.Broadcaster.ClientCount == 1);
            var before = reader.BytesRead;
            var done = reader.Expect(5000);
            for (var i = 0; i < 5000; i++)
            {
                host.Manager.Publish(Sample());
            }

            await done.WaitAsync(TimeSpan.FromMinutes(1));
            var bytes = reader.BytesRead - before;
            await reader.DisposeAsync();
            await WaitUntil(() => host.Broadcaster.ClientCount == 0);
            return bytes;
        }

        return (await Measure(false), await Measure(true));
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        return values[values.Count / 2];
    }

    private static double P(double[] sorted, double p) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

    private static async Task WaitUntil(Func<bool> condition)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > TimeSpan.FromMinutes(1))
            {
                throw new TimeoutException("The benchmark's clients did not get ready.");
            }

            await Task.Delay(5);
        }
    }
}
