using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using EventManager.Redis;

namespace EventManager.Benchmarks.Redis;

/// <summary>
/// The cross-instance report: saturation throughput of two mirrored managers and their latency at a fixed
/// 10,000 events/s, beside redis-benchmark's PUBLISH throughput against the same server in the same run.
/// Fixed-rate latency percentiles do not fit BenchmarkDotNet's invocation model, hence this harness.
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
        using var server = LocalRedis.Start();
        var sample = new AgentMessageEvent("agent-1", "cognitive_psychologist", "The network is converging on a shared view.", new Sentiment(0.4, SentimentLabel.Positive));
        var payload = sample.ToJson();

        var plain = RedisBenchmark(server.Port, payload, pipeline: 1);
        var pipelined = RedisBenchmark(server.Port, payload, pipeline: RedisMirrorOptions.DefaultMaxBatchSize);

        await using var pair = await MirroredPair.StartAsync(server.Configuration);
        await Saturate(pair, 20_000);
        var rates = new List<double>();
        for (var run = 0; run < saturationRuns; run++)
        {
            rates.Add(await Saturate(pair, saturationEvents));
        }

        var latencies = await MeasureLatency(pair, latencyDuration);
        var metricsA = pair.MirrorA.GetMetrics();
        var metricsB = pair.MirrorB.GetMetrics();

        rates.Sort();
        var median = rates[rates.Count / 2];
        var payloadBytes = System.Text.Encoding.UTF8.GetByteCount(payload);
        Console.WriteLine();
        Console.WriteLine($"Payload: one agent_message event, {payloadBytes} bytes of JSON. Server: redis-server {ServerVersion()} on 127.0.0.1, persistence off.");
        Console.WriteLine($"Options: the defaults everywhere (mirror MaxBatchSize {RedisMirrorOptions.DefaultMaxBatchSize}, MaxBatchDelay 0; manager and listener defaults). redis-benchmark -P {RedisMirrorOptions.DefaultMaxBatchSize} pipelines as many commands as one mirror batch.");
        Console.WriteLine();
        Console.WriteLine($"| measurement | events/s | ratio to redis-benchmark (50 clients, no pipelining) | ratio to redis-benchmark (-P {RedisMirrorOptions.DefaultMaxBatchSize}) |");
        Console.WriteLine("|---|---|---|---|");
        Console.WriteLine($"| redis-benchmark PUBLISH, 50 clients, no pipelining | {plain:N0} | 1.00 | {plain / pipelined:F2} |");
        Console.WriteLine($"| redis-benchmark PUBLISH, 50 clients, -P {RedisMirrorOptions.DefaultMaxBatchSize} | {pipelined:N0} | {pipelined / plain:F2} | 1.00 |");
        Console.WriteLine($"| two mirrored managers, A to B, median of {saturationRuns} x {saturationEvents:N0} | {median:N0} | {median / plain:F2} | {median / pipelined:F2} |");
        Console.WriteLine();
        Console.WriteLine($"Saturation runs (events/s): {string.Join(", ", rates.Select(r => r.ToString("N0", CultureInfo.InvariantCulture)))}");
        Console.WriteLine();
        Console.WriteLine($"| latency at {LatencyRate:N0} events/s for {latencyDuration.TotalSeconds:N0} s ({latencies.Length:N0} events), publish on A to listener on B | p50 | p90 | p99 | p99.9 | max |");
        Console.WriteLine("|---|---|---|---|---|---|");
        Console.WriteLine($"| milliseconds | {Percentile(latencies, 0.50):F3} | {Percentile(latencies, 0.90):F3} | {Percentile(latencies, 0.99):F3} | {Percentile(latencies, 0.999):F3} | {latencies[^1]:F3} |");
        Console.WriteLine();
        Console.WriteLine($"Mirror A: {metricsA}");
        Console.WriteLine($"Mirror B: {metricsB}");
    }

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

        // One event every 100 microseconds on average, in steps of one millisecond: ten per tick, paced by the clock so a
        // slow tick is followed by catching up rather than by a lower rate.
        var clock = Stopwatch.StartNew();
        var sent = 0;
        while (sent < total)
        {
            var due = Math.Min(total, (int)(clock.Elapsed.TotalSeconds * LatencyRate));
            while (sent < due)
            {
                pair.A.BroadcastAgentMessage("agent-1", "cognitive_psychologist", "The network is converging on a shared view.", new Sentiment(0.4, SentimentLabel.Positive));
                sent++;
            }

            Thread.Sleep(1);
        }

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
