using System.Collections.Concurrent;

namespace EventManager.Redis.Tests.Support;

/// <summary>
/// A manager with a Redis mirror and a listener that records every event it delivers, as one process of a deployment would
/// have; default options throughout (a test names what it changes), so the tests check what a new user gets.
/// </summary>
internal sealed class MirroredInstance : IAsyncDisposable
{
    private MirroredInstance(WebSocketEventManager manager, CapturingLogger<RedisEventMirror> logger)
    {
        Manager = manager;
        Logger = logger;
        manager.AddListener(Received.Enqueue, new ListenerOptions { Name = "recorder" });
    }

    public WebSocketEventManager Manager { get; }

    public RedisEventMirror Mirror { get; private set; } = null!;

    public CapturingLogger<RedisEventMirror> Logger { get; }

    public ConcurrentQueue<WebSocketEvent> Received { get; } = new();

    /// <summary>Every instance started by the current test, so a failing test can print their logs.</summary>
    public static ConcurrentQueue<MirroredInstance> Started { get; } = new();

    /// <summary>Prints the logs and metrics of the instances the test started when it failed, then forgets them.</summary>
    public static void ReportIfFailed()
    {
        var failed = TestContext.CurrentContext.Result.Outcome.Status == NUnit.Framework.Interfaces.TestStatus.Failed;
        while (Started.TryDequeue(out var instance))
        {
            if (failed)
            {
                TestContext.Out.WriteLine($"--- {instance.Manager.InstanceId}: {instance.Mirror.GetMetrics()}");
                foreach (var entry in instance.Logger.Entries)
                {
                    TestContext.Out.WriteLine($"{entry.Level}: {entry.Message} {entry.Exception?.GetType().Name} {entry.Exception?.Message}");
                }
            }
        }
    }

    public static async Task<MirroredInstance> StartAsync(string configuration, Action<RedisMirrorOptions>? configure = null, string? instanceId = null)
    {
        var instance = new MirroredInstance(new WebSocketEventManager(new EventManagerOptions { InstanceId = instanceId }), new CapturingLogger<RedisEventMirror>());
        var options = new RedisMirrorOptions { Configuration = configuration };
        configure?.Invoke(options);
        instance.Mirror = await RedisEventMirror.StartAsync(instance.Manager, options, instance.Logger);
        Started.Enqueue(instance);
        return instance;
    }

    public IEnumerable<WebSocketEvent> ReceivedFrom(MirroredInstance other) => Received.Where(e => e.OriginId == other.Manager.InstanceId);

    public async ValueTask DisposeAsync()
    {
        await Mirror.DisposeAsync();
        await Manager.DisposeAsync();
    }
}
