using EventManager.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace EventManager.Tests;

/// <summary>The manager's health check, with default thresholds and default listener queues, on a manual clock.</summary>
public sealed class HealthCheckTests
{
    [Test]
    public async Task AddEventManager_IdleManager_HealthyWithItsFigures()
    {
        await using var provider = Provider(new ManualTimeProvider());
        var manager = provider.GetRequiredService<WebSocketEventManager>();
        manager.AddListener(_ => { });
        manager.Publish(new CustomEvent("one"));
        await Eventually.Until(() => manager.GetMetrics().Delivered == 1, "the event is delivered");

        var entry = await CheckAsync(provider);

        Assert.Multiple(() =>
        {
            Assert.That(entry.Status, Is.EqualTo(HealthStatus.Healthy));
            Assert.That(entry.Data["published"], Is.EqualTo(1L));
            Assert.That(entry.Data["delivered"], Is.EqualTo(1L));
            Assert.That(entry.Data["dropped"], Is.EqualTo(0L));
            Assert.That(entry.Data["instance_id"], Is.EqualTo(manager.InstanceId));
        });
    }

    [Test]
    public async Task AddEventManager_ListenerQueueAboveDefaultFill_DegradedNamingTheListener()
    {
        await using var provider = Provider(new ManualTimeProvider());
        var manager = provider.GetRequiredService<WebSocketEventManager>();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        manager.AddListener(async (_, _) => await release.Task, new ListenerOptions { Name = "stuck" });
        var fill = (int)(ListenerOptions.DefaultCapacity * EventManagerHealthCheckOptions.DefaultDegradedQueueFill) + 10;
        try
        {
            for (var i = 0; i < fill; i++)
            {
                await manager.PublishAsync(new CustomEvent("load"));
            }

            await Eventually.Until(() => manager.GetTotals().Dispatched == fill, "every event reaches the listener's queue");

            var entry = await CheckAsync(provider);

            Assert.Multiple(() =>
            {
                Assert.That(entry.Status, Is.EqualTo(HealthStatus.Degraded));
                Assert.That(entry.Description, Does.Contain("listener stuck"));
                Assert.That(entry.Data["fullest_queue"], Is.EqualTo("listener stuck"));
                Assert.That(entry.Data["fullest_queue_capacity"], Is.EqualTo(ListenerOptions.DefaultCapacity));
            });
        }
        finally
        {
            release.SetResult();
        }
    }

    [Test]
    public async Task AddEventManager_ListenerDropped_UnhealthyForTheDropWindowThenNot()
    {
        var time = new ManualTimeProvider();
        await using var provider = Provider(time);
        var manager = provider.GetRequiredService<WebSocketEventManager>();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        manager.AddListener(async (_, _) => await release.Task, new ListenerOptions { Capacity = 10 });
        for (var i = 0; i < 20; i++)
        {
            await manager.PublishAsync(new CustomEvent("load"));
        }

        await Eventually.Until(() => manager.GetMetrics().Dropped > 0, "the listener's queue drops");
        release.SetResult();
        await Eventually.Until(() => manager.GetMetrics().Listeners[0].Pending == 0, "the listener catches up");

        var whileDropping = await CheckAsync(provider);
        time.Advance(EventManagerHealthCheckOptions.DefaultDropWindow - TimeSpan.FromSeconds(1));
        var justInside = await CheckAsync(provider);
        time.Advance(TimeSpan.FromSeconds(1));
        var after = await CheckAsync(provider);

        Assert.Multiple(() =>
        {
            Assert.That(whileDropping.Status, Is.EqualTo(HealthStatus.Unhealthy));
            Assert.That(whileDropping.Description, Does.Contain("dropped"));
            Assert.That(justInside.Status, Is.EqualTo(HealthStatus.Unhealthy), "still within the window");
            Assert.That(after.Status, Is.EqualTo(HealthStatus.Healthy), "no drop seen for a whole window");
            Assert.That(after.Data["dropped"], Is.EqualTo(whileDropping.Data["dropped"]));
        });
    }

    [Test]
    public async Task AddEventManager_SocketClientListenerDropped_LeftToTheSocketsCheck()
    {
        await using var provider = Provider(new ManualTimeProvider());
        var manager = provider.GetRequiredService<WebSocketEventManager>();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        manager.AddListener(async (_, _) => await release.Task, new ListenerOptions { Capacity = 10, Name = "client:0123" });
        try
        {
            for (var i = 0; i < 20; i++)
            {
                await manager.PublishAsync(new CustomEvent("load"));
            }

            await Eventually.Until(() => manager.GetMetrics().Dropped > 0, "the client's queue drops");

            var entry = await CheckAsync(provider);

            Assert.Multiple(() =>
            {
                Assert.That(entry.Status, Is.EqualTo(HealthStatus.Healthy), "a slow socket client is the sockets check's to report");
                Assert.That(entry.Data["dropped"], Is.GreaterThan(0L), "its drops still show in the figures");
                Assert.That(entry.Data["fullest_queue"], Is.EqualTo("ingress"));
            });
        }
        finally
        {
            release.SetResult();
        }
    }

    [Test]
    public async Task AddEventManager_ManagerDisposed_Unhealthy()
    {
        await using var provider = Provider(new ManualTimeProvider());
        await provider.GetRequiredService<WebSocketEventManager>().DisposeAsync();

        var entry = await CheckAsync(provider);

        Assert.That(entry.Status, Is.EqualTo(HealthStatus.Unhealthy));
    }

    [Test]
    public async Task AddEventManager_RegisteredBeforeTheManager_StillChecksIt()
    {
        var services = new ServiceCollection().AddLogging();
        services.AddHealthChecks().AddEventManager();
        services.AddWebSocketEventManager();
        await using var provider = services.BuildServiceProvider();

        var report = await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync();

        Assert.That(report.Entries.Keys, Is.EquivalentTo(new[] { "eventmanager" }));
    }

    [Test]
    public async Task AddEventManager_CalledForLivenessAndForReadiness_TheCheckCarriesBothTags()
    {
        var services = new ServiceCollection().AddLogging();
        services.AddWebSocketEventManager();
        services.AddHealthChecks().AddEventManager(tags: ["live"]).AddEventManager(tags: ["ready"]);
        await using var provider = services.BuildServiceProvider();

        var report = await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync();

        Assert.That(report.Entries["eventmanager"].Tags, Is.EquivalentTo(new[] { "live", "ready" }));
    }

    [Test]
    public void AddEventManager_WithoutAManager_HostFailsToStart()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddHealthChecks().AddEventManager();
        using var host = builder.Build();

        var ex = Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.That(ex!.Message, Does.Contain("AddWebSocketEventManager"));
    }

    [Test]
    public void AddEventManager_InvalidThreshold_HostFailsToStartNamingIt()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddWebSocketEventManager();
        builder.Services.AddHealthChecks().AddEventManager(o => o.DegradedQueueFill = 1.5);
        using var host = builder.Build();

        var ex = Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.That(ex!.Message, Does.Contain("DegradedQueueFill"));
    }

    private static ServiceProvider Provider(TimeProvider time)
    {
        var services = new ServiceCollection().AddLogging();
        services.AddSingleton(time);
        services.AddWebSocketEventManager();
        services.AddHealthChecks().AddEventManager();
        return services.BuildServiceProvider();
    }

    private static async Task<HealthReportEntry> CheckAsync(IServiceProvider provider)
    {
        var report = await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        return report.Entries["eventmanager"];
    }
}
