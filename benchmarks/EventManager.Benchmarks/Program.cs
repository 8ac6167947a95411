using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using EventManager.Benchmarks.Redis;
using EventManager.Benchmarks.Sockets;

if (args is ["redis-report"])
{
    await RedisReport.RunAsync();
    return;
}

if (args is ["socket-report"])
{
    await SocketReport.RunAsync();
    return;
}

// Measurements run each case in three processes, because thread placement on a small machine varies from one
// process to the next. A job given on the command line (CI passes --job Dry) replaces this one.
var config = args.Contains("--job", StringComparer.Ordinal)
    ? DefaultConfig.Instance
    : DefaultConfig.Instance.AddJob(Job.Default.WithLaunchCount(3).WithWarmupCount(5).WithIterationCount(20).AsDefault());

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config);
