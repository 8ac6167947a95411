using System.Collections.Concurrent;
using EventManager.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace EventManager.Tests;

public class DependencyInjectionTests
{
    [Test]
    public async Task AddWebSocketEventManager_CalledTwice_RegistersOneConfiguredSingleton()
    {
        var services = new ServiceCollection();
        services.AddWebSocketEventManager(o => o.InstanceId = "node-1");
        services.AddWebSocketEventManager(o => o.IngressCapacity = 10);
        await using var provider = services.BuildServiceProvider();

        var first = provider.GetRequiredService<WebSocketEventManager>();
        var second = provider.GetRequiredService<WebSocketEventManager>();

        Assert.That(second, Is.SameAs(first));
        Assert.That(first.InstanceId, Is.EqualTo("node-1"));
        Assert.That(services.Count(d => d.ServiceType == typeof(WebSocketEventManager)), Is.EqualTo(1));
    }

    [Test]
    public async Task AddWebSocketEventManager_InvalidOptions_FailsWithOptionsValidation()
    {
        var services = new ServiceCollection();
        services.AddWebSocketEventManager(o => o.IngressCapacity = -1);
        await using var provider = services.BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<WebSocketEventManager>());

        Assert.That(ex!.Message, Does.Contain("IngressCapacity"));
    }

    [Test]
    public async Task AddWebSocketEventManager_TimeProviderRegistered_IsUsed()
    {
        var time = new ManualTimeProvider();
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(time);
        services.AddWebSocketEventManager();
        await using var provider = services.BuildServiceProvider();

        var manager = provider.GetRequiredService<WebSocketEventManager>();

        Assert.That(manager.TimeProvider, Is.SameAs(time));
        Assert.That(manager.BroadcastAgentMessage("a", "t", "m").Timestamp, Is.EqualTo(time.GetUtcNow()));
    }

    [Test]
    public async Task AddStatusReporter_InHost_PublishesWhileRunning()
    {
        var time = new ManualTimeProvider();
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddSingleton<TimeProvider>(time);
        builder.Services.AddWebSocketEventManager().AddStatusReporter(o => o.Interval = TimeSpan.FromSeconds(1));
        using var host = builder.Build();
        var manager = host.Services.GetRequiredService<WebSocketEventManager>();
        var reports = new ConcurrentQueue<WebSocketEvent>();
        manager.AddListener(reports.Enqueue);

        await host.StartAsync();
        await Eventually.Until(() => time.ActiveTimers > 0, "the reporter is scheduled");
        time.Advance(TimeSpan.FromSeconds(1));
        await Eventually.Until(() => !reports.IsEmpty, "a report arrives");
        await host.StopAsync();

        Assert.That(reports.First().EventType, Is.EqualTo("system_status"));
    }

    [Test]
    public void ServiceProvider_DisposedSynchronously_StopsTheManager()
    {
        var services = new ServiceCollection();
        services.AddWebSocketEventManager();
        var provider = services.BuildServiceProvider();
        var manager = provider.GetRequiredService<WebSocketEventManager>();

        provider.Dispose();

        Assert.Throws<ObjectDisposedException>(() => manager.Publish(new CustomEvent("x")));
    }
}
