using EventManager.Redis.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace EventManager.Redis.Tests;

[TestFixture]
public sealed class DependencyInjectionTests
{
    [Test]
    public async Task AddRedisMirror_WithTheHost_StartsConnectedAndStopsWithIt()
    {
        await using var server = await RedisServer.StartAsync();
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddWebSocketEventManager(o => o.InstanceId = "service-1").AddRedisMirror(o => (o.Configuration, o.Channel) = (server.Configuration, "di-test"));
        using var host = builder.Build();

        await host.StartAsync();
        var mirror = host.Services.GetRequiredService<RedisEventMirror>();
        var manager = host.Services.GetRequiredService<WebSocketEventManager>();
        var received = new TaskCompletionSource<WebSocketEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        manager.AddListener(received.SetResult);
        await server.CliAsync("PUBLISH", "di-test", """{"event_type":"ping","event_id":"from-cli","data":{}}""");
        var evt = await Eventually.Within(received.Task, "the event published through redis-cli");
        await host.StopAsync();

        Assert.Multiple(() =>
        {
            Assert.That(evt.EventId, Is.EqualTo("from-cli"));
            Assert.That(manager.InstanceId, Is.EqualTo("service-1"), "one instance id, the manager's");
            Assert.That(mirror.Health, Is.EqualTo(RedisMirrorHealth.Stopped));
        });
    }

    [Test]
    public async Task AddEventManagerHealthChecks_WithAMirrorInAWorkerHost_ChecksTheManagerAndTheMirror()
    {
        await using var server = await RedisServer.StartAsync();
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddHealthChecks().AddEventManager(tags: ["ready"]);
        builder.Services.AddWebSocketEventManager().AddRedisMirror(o => (o.Configuration, o.Channel) = (server.Configuration, "di-health"));
        using var host = builder.Build();
        await host.StartAsync();
        var mirror = host.Services.GetRequiredService<RedisEventMirror>();
        await Eventually.Until(() => mirror.Health == RedisMirrorHealth.Connected, "the mirror connects");

        var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        await host.StopAsync();

        Assert.Multiple(() =>
        {
            Assert.That(report.Entries.Keys, Is.EquivalentTo(new[] { "eventmanager", "eventmanager.redis" }));
            Assert.That(report.Entries["eventmanager.redis"].Status, Is.EqualTo(HealthStatus.Healthy));
            Assert.That(report.Entries["eventmanager.redis"].Tags, Is.EquivalentTo(new[] { "ready" }));
            Assert.That(report.Entries["eventmanager.redis"].Data["channel"], Is.EqualTo("di-health"));
        });
    }

    [Test]
    public void AddRedisMirror_InvalidOptions_FailTheHostStartNamingTheField()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddWebSocketEventManager().AddRedisMirror(o => o.MaxBatchSize = 0);
        using var host = builder.Build();

        var error = Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync())!;

        Assert.That(error.Message, Does.Contain(nameof(RedisMirrorOptions.MaxBatchSize)));
    }

    [Test]
    public void AddRedisMirror_CalledTwice_RegistersOneMirrorAndOneHostedService()
    {
        var services = new ServiceCollection();
        var builder = services.AddWebSocketEventManager();
        builder.AddRedisMirror(o => o.Channel = "first");
        builder.AddRedisMirror(o => o.MaxBatchSize = 7);

        Assert.Multiple(() =>
        {
            Assert.That(services.Count(d => d.ServiceType == typeof(RedisEventMirror)), Is.EqualTo(1));
            Assert.That(services.Count(d => d.ServiceType == typeof(IHostedService)), Is.EqualTo(1));
        });
        using var provider = services.BuildServiceProvider();
        var options = provider.GetRequiredService<IOptions<RedisMirrorOptions>>().Value;
        Assert.That((options.Channel, options.MaxBatchSize), Is.EqualTo(("first", 7)));
    }
}
