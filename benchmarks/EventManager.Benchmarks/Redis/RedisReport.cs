using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using EventManager.Redis;

namespace EventManager.Benchmarks.Redis;

/// <summary>
/// The cross-instance report: saturation throughput of two mirrored managers and their latency at a fixed 10,000 events/s,
/// on one server, with the shared history, and on a cluster in both pub/sub modes, beside redis-benchmark's PUBLISH
/// throughput against the same server in the same run. Fixed-rate latency percentiles do not fit BenchmarkDotNet's
/// invocation model, hence this harness.
/// </summary>
internal static partial class RedisReport
{
    private const int LatencyRate = 10_000;

    /// <summary>Runs the report; the short form (CI's, so it cannot rot) uses fewer events and seconds.</summary>
    public static async Task RunAsync(bool full = true)
    {
        var saturationEvents = full ? 100_000 : 10_000;
        var saturationRuns = full ? 5 : 1;
        var latencyDuration = TimeSpan.FromSeconds(full ? 10 : 1);
        var sample = new AgentMessageEvent("agent-1", "cognitive_psychologist", "The network is converging on a shared view.", new Sentiment(0.4, SentimentLabel.Positive));
        var payload = sample.ToJson();
        var pipelineDepth = RedisMirrorOptions.DefaultMaxBatchSize;

        using var server = LocalRedis.Start();
        var plain = RedisBenchmark(server.Port, payload, pipeline: 1);
        var pipelined = RedisBenchmark(server.Port, payload, pipeline: pipelineDepth);

        SetupResult bare;
        await using (var barePubSub = await BarePubSub.StartAsync(server.Configuration, System.Text.Encoding.UTF8.GetBytes(payload)))
        {
            await barePubSub.SaturateAsync(20_000);
            var rates = new List<double>();
            for (var run = 0; run < saturationRuns; run++)
            {
                rates.Add(await barePubSub.SaturateAsync(saturationEvents));
            }

            var latencies = await barePubSub.MeasureLatencyAsync((int)(LatencyRate * latencyDuration.TotalSeconds), LatencyRate);
            bare = new SetupResult("bare StackExchange.Redis pub/sub, one server", rates, Median(rates), latencies, null, null);
        }

        var results = new List<SetupResult>
        {
            bare,
            await MeasureAsync("one server", server.Configuration, null),
            await MeasureAsync("one server, SharedHistory", server.Configuration, o => o.SharedHistory = true),
        };
        using (var cluster = LocalRedisCluster.Start())
        {
            results.Add(await MeasureAsync("cluster, Classic", cluster.Configuration, null));
            results.Add(await MeasureAsync("cluster, Sharded", cluster.Configuration, o => o.PubSubMode = RedisPubSubMode.Sharded));
            results.Add(await MeasureAsync("cluster, Sharded, SharedHistory", cluster.Configuration, o => (o.PubSubMode, o.SharedHistory) = (RedisPubSubMode.Sharded, true)));
        }

        Console.WriteLine();
        Console.WriteLine($"Payload: one agent_message event, {System.Text.Encoding.UTF8.GetByteCount(payload)} bytes of JSON. Servers: redis-server {ServerVersion()} on 127.0.0.1, persistence off; the cluster is six of them, three primaries with a replica each.");
        Console.WriteLine($"Options: the defaults everywhere (mirror MaxBatchSize {pipelineDepth}, MaxBatchDelay 0; manager and listener defaults) except the set-up's. redis-benchmark runs against the single server; -P {pipelineDepth} pipelines as many commands as one mirror batch.");
        Console.WriteLine();
        Console.WriteLine($"| measurement | events/s | ratio to redis-benchmark (50 clients, no pipelining) | ratio to redis-benchmark (-P {pipelineDepth}) |");
        Console.WriteLine("|---|---|---|---|");
        Console.WriteLine($"| redis-benchmark PUBLISH, 50 clients, no pipelining | {plain:N0} | 1.00 | {plain / pipelined:F2} |");
        Console.WriteLine($"| redis-benchmark PUBLISH, 50 clients, -P {pipelineDepth} | {pipelined:N0} | {pipelined / plain:F2} | 1.00 |");
        foreach (var result in results)
        {
            var what = result == bare ? result.Name : $"two mirrored managers, A to B, {result.Name}";
            Console.WriteLine($"| {what}, median of {saturationRuns} x {saturationEvents:N0} | {result.Median:N0} | {result.Median / plain:F2} | {result.Median / pipelined:F2} |");
        }

        Console.WriteLine();
        foreach (var result in results)
        {
            Console.WriteLine($"Saturation runs, {result.Name} (events/s): {string.Join(", ", result.Rates.Select(r => r.ToString("N0", CultureInfo.InvariantCulture)))}");
        }

        Console.WriteLine();
        Console.WriteLine($"| latency at {LatencyRate:N0} events/s for {latencyDuration.TotalSeconds:N0} s, publish on A to listener on B (ms) | events | p50 | p90 | p99 | p99.9 | max |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        foreach (var result in results)
        {
            var latencies = result.Latencies;
            Console.WriteLine($"| {result.Name} | {latencies.Length:N0} | {Percentile(latencies, 0.50):F3} | {Percentile(latencies, 0.90):F3} | {Percentile(latencies, 0.99):F3} | {Percentile(latencies, 0.999):F3} | {latencies[^1]:F3} |");
        }

        Console.WriteLine();
        foreach (var result in results.Where(r => r != bare))
        {
            Console.WriteLine($"{result.Name}: mirror A {result.MetricsA}");
            Console.WriteLine($"{result.Name}: mirror B {result.MetricsB}");
        }

        async Task<SetupResult> MeasureAsync(string name, string configuration, Action<RedisMirrorOptions>? configure)
        {
            await using var pair = await MirroredPair.StartAsync(configuration, configure);
            await Saturate(pair, 20_000);
            var rates = new List<double>();
            for (var run = 0; run < saturationRuns; run++)
            {
                rates.Add(await Saturate(pair, saturationEvents));
            }

            var latencies = await MeasureLatency(pair, latencyDuration);
            return new SetupResult(name, rates, Median(rates), latencies, pair.MirrorA.GetMetrics(), pair.MirrorB.GetMetrics());
        }
    }

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);

    /// <summary>What one set-up measured: saturation rates in run order, their median, sorted latencies, and both mirrors' counters (none for the bare baseline).</summary>
    private sealed record SetupResult(string Name, List<double> Rates, double Median, double[] Latencies, RedisMirrorMetrics? MetricsA, RedisMirrorMetrics? MetricsB);

    private static async Task<double> Saturate(MirroredPair pair, int events)
    {
        var arrived = pair.ExpectMore(events);
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < events; i++)
        {
            pair.A.BroadcastAgentMessage("agent-1", "cognitive_psychologist", "The network is converging on a shared view.", new Sentiment(0.4, SentimentLabel.Positive));
        }

        await arrived.WaitAsync(TimeSpan.FromMinutes(2));
        return events / clock.Elapsed.TotalSeconds;
    }

    private static async Task<double[]> MeasureLatency(MirroredPair pair, TimeSpan duration)
    {
        var total = (int)(LatencyRate * duration.TotalSeconds);
        var samples = new double[total];
        var index = -1;
        pair.OnLatency = age =>
        {
            var slot = Interlocked.Increment(ref index);
            if (slot < samples.Length)
            {
                samples[slot] = age.TotalMilliseconds;
            }
        };
        var arrived = pair.ExpectMore(total);

        await FixedRatePublisher.RunAsync(total, LatencyRate, () => pair.A.BroadcastAgentMessage("agent-1", "cognitive_psychologist", "The network is converging on a shared view.", new Sentiment(0.4, SentimentLabel.Positive)));
        await arrived.WaitAsync(TimeSpan.FromMinutes(1));
        pair.OnLatency = null;
        Array.Sort(samples);
        return samples;
    }

    private static double Percentile(double[] sorted, double p) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

    private static double RedisBenchmark(int port, string payload, int pipeline)
    {
        var start = new ProcessStartInfo("redis-benchmark") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "-p", port.ToString(CultureInfo.InvariantCulture), "-n", "500000", "-c", "50", "-P", pipeline.ToString(CultureInfo.InvariantCulture), "-q", "PUBLISH", "bench:raw", payload })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("redis-benchmark did not start; it comes with Debian's redis-tools.");
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        var match = RequestsPerSecond().Matches(output).LastOrDefault() ?? throw new InvalidOperationException("Unexpected redis-benchmark output: " + output);
        return double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    private static string ServerVersion()
    {
        var start = new ProcessStartInfo("redis-server", "--version") { RedirectStandardOutput = true };
        using var process = Process.Start(start)!;
        var text = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return Regex.Match(text, @"v=(\S+)").Groups[1].Value;
    }

    [GeneratedRegex(@"([0-9]+(?:\.[0-9]+)?) requests per second")]
    private static partial Regex RequestsPerSecond();
}
