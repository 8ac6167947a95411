using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using EventManager.Benchmarks;
using EventManager.Benchmarks.Redis;
using EventManager.Benchmarks.Sockets;

if (args is ["redis-report", ..])
{
    await RedisReport.RunAsync(full: args is not [_, "short"]);
    return;
}

if (args is ["latency-report", ..])
{
    await LatencyReport.RunAsync(TimeSpan.FromSeconds(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 10));
    return;
}

if (args is ["socket-profile", ..])
{
    await SocketProfile.RunAsync(clients: args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 1);
    return;
}

if (args is ["socket-report", ..])
{
    await SocketReport.RunAsync(full: args is not [_, "short"]);
    return;
}

// Thread placement on a small machine varies from one process to the next, so a measurement is three back-to-back runs
// of this command (benchmarks/README.md shows all three), each iteration at least 100 ms. A job given on the command line
// (CI passes --job Dry) replaces this one.
var config = args.Contains("--job", StringComparer.Ordinal)
    ? DefaultConfig.Instance
    : DefaultConfig.Instance.AddJob(Job.Default.WithLaunchCount(1).WithWarmupCount(3).WithIterationCount(15).WithMinIterationTime(Perfolizer.Horology.TimeInterval.FromMilliseconds(100)).AsDefault());

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config);
