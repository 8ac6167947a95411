using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EventManager.Benchmarks.Sockets;

/// <summary>
/// Event deliveries per second to 1, 10 and 100 local WebSocket clients through MapEventWebSocket, batching on and off, beside
/// a bare Kestrel WebSocket broadcast of the same frames; publish-to-client latency at a fixed rate; bytes on the wire with
/// and without permessage-deflate. One process: the server and every client share the machine's cores.
/// </summary>
internal static class SocketReport
{
    private static readonly int[] LatencyRates = [1_000, 10_000];

    /// <summary>Runs the report; the short form (CI's, so it cannot rot) uses fewer clients, events and seconds.</summary>
    public static async Task RunAsync(bool full = true)
    {
        var latencyDuration = TimeSpan.FromSeconds(full ? 10 : 1);
        await using var host = await Host.StartAsync();
        var sample = Sample();
        Console.WriteLine($"Payload: agent_message events of {sample.ToUtf8Json().Length} bytes of JSON. Kestrel on 127.0.0.1, clients in the same process.");
        Console.WriteLine($"Options: the defaults (SendQueueCapacity {EventManager.Sockets.WebSocketBroadcasterOptions.DefaultSendQueueCapacity:N0}, SlowClientPolicy {new EventManager.Sockets.WebSocketBroadcasterOptions().SlowClientPolicy}, IngressCapacity {EventManagerOptions.DefaultIngressCapacity:N0}), except EnableCompression = true, which only the wire-bytes client asks for. Batching is the client's choice, in its query.");
        var warmUp = TimeSpan.FromSeconds(full ? 5 : 0);
        Console.WriteLine($"Warm-up: {warmUp.TotalSeconds:N0} s of bursts through both paths first, so the JIT has optimised the per-event code, as in a server that has been running (a single short burst measured partly unoptimised code; benchmarks/README.md).");
        await WarmUpAsync(host, warmUp);
        Console.WriteLine();
        Console.WriteLine("| clients | batching | bare Kestrel broadcast (deliveries/s) | MapEventWebSocket (deliveries/s) | ratio | allocated per delivery |");
        Console.WriteLine("|---|---|---|---|---|---|");
        foreach (var clients in full ? new[] { 1, 10, 100, 1000 } : [1, 10])
        {
            foreach (var batching in new[] { true, false })
            {
                // Fewer than a client's default queue holds, so a run measures delivery, not drops.
                var events = full ? clients switch { 1000 => 5_000, 100 => 20_000, _ => 50_000 } : 2_000;
                await Throughput(host, clients, batching, events / 5);
                var bare = Median(await Repeat(full ? 3 : 1, () => BareThroughput(host, clients, batching, events)));
                var allocated = new List<double>();
                var ours = Median(await Repeat(full ? 3 : 1, () => Throughput(host, clients, batching, events, perDelivery: allocated.Add)));
                Console.WriteLine($"| {clients} | {(batching ? "50 / 50 ms" : "off")} | {bare:N0} | {ours:N0} | {ours / bare:F2} | {Median(allocated):F1} B |");
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

    private static async Task WarmUpAsync(Host host, TimeSpan duration)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < duration)
        {
            foreach (var batching in new[] { true, false })
            {
                await Throughput(host, 1, batching, 20_000);
                await BareThroughput(host, 1, batching, 20_000);
            }
        }
    }

    internal static AgentMessageEvent Sample() =>
        new("agent-17", "cognitive_psychologist", "The network is converging on a shared view of the emergency.", new Sentiment(0.42, SentimentLabel.Positive));

    /// <summary>
    /// Deliveries per second of a burst of ready-made events (created before the clock, as the bare broadcast's frames are
    /// prepared before it); <paramref name="perDelivery"/> gets the bytes the whole process allocated per delivery meanwhile,
    /// clients included.
    /// </summary>
    internal static async Task<double> Throughput(Host host, int clients, bool batching, int events, Action<Reader[]>? done = null, Action<double>? perDelivery = null)
    {
        var query = batching ? "?batch_size=50&batch_window_ms=50" : "?batch_window_ms=0";
        var readers = await Task.WhenAll(Enumerable.Range(0, clients).Select(_ => Reader.ConnectAsync(host.Ws("/ws/events" + query), events)));
        await WaitUntil(() => host.Broadcaster.ClientCount == clients);
        var burst = Enumerable.Range(0, events).Select(_ => Sample()).ToArray();
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var clock = Stopwatch.StartNew();
        foreach (var evt in burst)
        {
            host.Manager.Publish(evt);
        }

        await Task.WhenAll(readers.Select(r => r.Done)).WaitAsync(TimeSpan.FromMinutes(5));
        var rate = (double)events * clients / clock.Elapsed.TotalSeconds;
        perDelivery?.Invoke((GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore) / ((double)events * clients));
        done?.Invoke(readers);
        await Task.WhenAll(readers.Select(r => r.DisposeAsync().AsTask()));
        await WaitUntil(() => host.Broadcaster.ClientCount == 0);
        return rate;
    }

    private static async Task<double> BareThroughput(Host host, int clients, bool batching, int events)
    {
        host.BareSockets.Clear();
        var readers = await Task.WhenAll(Enumerable.Range(0, clients).Select(_ => Reader.ConnectAsync(host.Ws("/bare"), events)));
        await WaitUntil(() => host.BareSockets.Count == clients);
        var sockets = host.BareSockets.ToArray();

        // The frames the library would send for the same events, prepared once and written by one loop per socket, all
        // concurrently: the floor of a broadcast, with no per-event work at all and no client waiting for another.
        var frame = batching ? BareBatchFrame() : BareEventFrame();
        var perFrame = batching ? 50 : 1;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(sockets.Select(socket => Task.Run(async () =>
        {
            for (var sent = 0; sent < events; sent += perFrame)
            {
                await socket.SendAsync(frame, WebSocketMessageType.Text, true, CancellationToken.None);
            }
        })));

        await Task.WhenAll(readers.Select(r => r.Done)).WaitAsync(TimeSpan.FromMinutes(5));
        var rate = (double)events * clients / clock.Elapsed.TotalSeconds;
        host.ReleaseBare();
        await Task.WhenAll(readers.Select(r => r.DisposeAsync().AsTask()));
        return rate;
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
        var readers = await Task.WhenAll(Enumerable.Range(0, clients).Select(i => Reader.ConnectAsync(host.Ws("/ws/events?batch_size=50&batch_window_ms=50"), total, i < 10 ? samples : null)));
        await WaitUntil(() => host.Broadcaster.ClientCount == clients);
        var clock = Stopwatch.StartNew();
        var sent = 0;
        while (sent < total)
        {
            var due = Math.Min(total, (int)(clock.Elapsed.TotalSeconds * eventsPerSecond));
            while (sent < due)
            {
                host.Manager.BroadcastAgentMessage("agent-17", "cognitive_psychologist", "The network is converging on a shared view of the emergency.");
                sent++;
            }

            Thread.Sleep(1);
        }

        await Task.WhenAll(readers.Select(r => r.Done)).WaitAsync(TimeSpan.FromMinutes(2));
        await Task.WhenAll(readers.Select(r => r.DisposeAsync().AsTask()));
        var sorted = samples.ToArray();
        Array.Sort(sorted);
        return sorted;
    }

    private static async Task<(long Plain, long Deflated)> WireBytes(Host host)
    {
        async Task<long> Measure(bool compress)
        {
            var reader = await Reader.ConnectAsync(host.Ws("/ws/events?batch_size=50&batch_window_ms=200"), 5000, compress: compress);
            await WaitUntil(() => host.Broadcaster.ClientCount == 1);
            var before = reader.BytesRead;
            for (var i = 0; i < 5000; i++)
            {
                host.Manager.Publish(Sample());
            }

            await reader.Done.WaitAsync(TimeSpan.FromMinutes(1));
            var bytes = reader.BytesRead - before;
            await reader.DisposeAsync();
            await WaitUntil(() => host.Broadcaster.ClientCount == 0);
            return bytes;
        }

        return (await Measure(false), await Measure(true));
    }

    private static async Task<List<double>> Repeat(int times, Func<Task<double>> run)
    {
        var results = new List<double>();
        for (var i = 0; i < times; i++)
        {
            results.Add(await run());
        }

        return results;
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

    /// <summary>A Kestrel app with the library's endpoint and a bare endpoint that only collects sockets.</summary>
    internal sealed class Host : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private TaskCompletionSource _releaseBare = new(TaskCreationOptions.RunContinuationsAsynchronously);

        private Host(WebApplication app, Uri http)
        {
            _app = app;
            Http = http;
        }

        public Uri Http { get; }

        public WebSocketEventManager Manager => _app.Services.GetRequiredService<WebSocketEventManager>();

        public EventManager.Sockets.WebSocketBroadcaster Broadcaster => _app.Services.GetRequiredService<EventManager.Sockets.WebSocketBroadcaster>();

        public ConcurrentQueue<WebSocket> BareSockets { get; } = new();

        public static async Task<Host> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
            builder.Logging.ClearProviders();
            builder.Services.AddWebSocketEventManager().AddEventSockets(o => o.EnableCompression = true);
            var app = builder.Build();
            app.UseWebSockets();
            app.MapEventWebSocket("/ws/events");
            Host? host = null;
            app.Map("/bare", async (HttpContext context) =>
            {
                using var socket = await context.WebSockets.AcceptWebSocketAsync();
                host!.BareSockets.Enqueue(socket);
                await host._releaseBare.Task;
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
            });
            await app.StartAsync();
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            host = new Host(app, new Uri(address));
            return host;
        }

        public Uri Ws(string path) => new(new UriBuilder(Http) { Scheme = "ws" }.Uri, path);

        public void ReleaseBare()
        {
            Interlocked.Exchange(ref _releaseBare, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        }

        public async ValueTask DisposeAsync()
        {
            ReleaseBare();
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }

    /// <summary>A client that counts the events in the frames it reads, and optionally their age on arrival.</summary>
    internal sealed class Reader : IAsyncDisposable
    {
        private readonly ClientWebSocket _socket;
        private readonly int _expected;
        private readonly ConcurrentBag<double>? _latencies;
        private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private long _bytesRead;

        private Reader(ClientWebSocket socket, int expected, ConcurrentBag<double>? latencies)
        {
            _socket = socket;
            _expected = expected;
            _latencies = latencies;
        }

        public Task Done => _done.Task;

        public long BytesRead => Interlocked.Read(ref _bytesRead);

        /// <summary>Messages read, event-carrying or not.</summary>
        public int FramesRead { get; private set; }

        public static async Task<Reader> ConnectAsync(Uri uri, int expected, ConcurrentBag<double>? latencies = null, bool compress = false)
        {
            var socket = new ClientWebSocket();
            if (compress)
            {
                socket.Options.DangerousDeflateOptions = new WebSocketDeflateOptions();
            }

            Reader? reader = null;
            using var handler = new SocketsHttpHandler
            {
                ConnectCallback = async (context, token) =>
                {
                    var tcp = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                    await tcp.ConnectAsync(context.DnsEndPoint, token);
                    return new CountingStream(new NetworkStream(tcp, ownsSocket: true), bytes => Interlocked.Add(ref reader!._bytesRead, bytes));
                },
            };
            reader = new Reader(socket, expected, latencies);
            await socket.ConnectAsync(uri, new HttpMessageInvoker(handler, disposeHandler: false), CancellationToken.None);
            _ = reader.ReadAsync();
            return reader;
        }

        public async ValueTask DisposeAsync()
        {
            try
            {
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
            }
            catch (WebSocketException)
            {
            }

            _socket.Dispose();
        }

        private async Task ReadAsync()
        {
            var buffer = new byte[1 << 20];
            var count = 0;
            try
            {
                while (count < _expected)
                {
                    var length = 0;
                    ValueWebSocketReceiveResult result;
                    do
                    {
                        result = await _socket.ReceiveAsync(buffer.AsMemory(length), CancellationToken.None);
                        length += result.Count;
                    }
                    while (!result.EndOfMessage);

                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        break;
                    }

                    count += Count(buffer.AsSpan(0, length));
                    FramesRead++;
                }
            }
            catch (WebSocketException)
            {
            }

            _done.TrySetResult();
        }

        private int Count(ReadOnlySpan<byte> frame)
        {
            if (frame.StartsWith("{\"type\":\"event\""u8))
            {
                Record(frame);
                return 1;
            }

            if (!frame.StartsWith("{\"type\":\"batch\""u8))
            {
                return 0;
            }

            var reader = new Utf8JsonReader(frame);
            reader.Read();
            while (reader.Read() && !(reader.TokenType == JsonTokenType.PropertyName && reader.ValueTextEquals("count"u8)))
            {
            }

            reader.Read();
            var events = reader.GetInt32();
            Record(frame);
            return events;
        }

        /// <summary>The age of every event in the frame, from its timestamp.</summary>
        private void Record(ReadOnlySpan<byte> frame)
        {
            if (_latencies is null)
            {
                return;
            }

            var now = DateTimeOffset.UtcNow;
            var reader = new Utf8JsonReader(frame);
            var depth = frame.StartsWith("{\"type\":\"event\""u8) ? 1 : 3;
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == depth && reader.ValueTextEquals("timestamp"u8))
                {
                    reader.Read();
                    _latencies.Add((now - reader.GetDateTimeOffset()).TotalMilliseconds);
                }
            }
        }
    }

    private sealed class CountingStream(Stream inner, Action<int> counted) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override void Flush() => inner.Flush();

        public override int Read(byte[] buffer, int offset, int count)
        {
            var read = inner.Read(buffer, offset, count);
            counted(read);
            return read;
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await inner.ReadAsync(buffer, cancellationToken);
            counted(read);
            return read;
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => inner.WriteAsync(buffer, cancellationToken);

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
