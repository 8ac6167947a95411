using System.Collections.Concurrent;
using System.Net;
using EventManager.AspNetCore.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EventManager.AspNetCore.Tests;

/// <summary>Registration mistakes fail when the app is built or started, naming the fix, not at the first request.</summary>
[TestFixture]
public sealed class StartupTests
{
    [Test]
    public async Task MapEventWebSocket_WithoutAddEventSockets_ThrowsNamingTheCallToAdd()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Services.AddWebSocketEventManager();
        await using var app = builder.Build();

        var error = Assert.Throws<InvalidOperationException>(() => app.MapEventWebSocket("/ws/events"))!;

        Assert.That(error.Message, Does.Contain("AddEventSockets()"));
    }

    [Test]
    public async Task MapEventStream_WithoutAddEventSockets_ThrowsNamingTheCallToAdd()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Services.AddWebSocketEventManager();
        await using var app = builder.Build();

        var error = Assert.Throws<InvalidOperationException>(() => app.MapEventStream("/events"))!;

        Assert.That(error.Message, Does.Contain("AddEventSockets()"));
    }

    [Test]
    public async Task StartAsync_InvalidSocketOptions_ThrowsNamingTheOption()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        builder.Services.AddWebSocketEventManager().AddEventSockets(o => o.Broadcaster.MaxClients = 0);
        await using var app = builder.Build();
        app.MapEventWebSocket("/ws/events");

        var error = Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync())!;

        Assert.That(error.Message, Does.Contain("MaxClients"));
    }

    [Test]
    public async Task Upgrade_WithoutUseWebSockets_IsRefusedAndLoggedOnceAsAWarningWithTheFix()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        var logs = new CapturingLogger<StartupTests>();
        builder.Logging.ClearProviders().AddProvider(new SingleLoggerProvider(logs)).SetMinimumLevel(LogLevel.Debug);
        builder.Services.AddWebSocketEventManager().AddEventSockets();
        await using var app = builder.Build();
        app.MapEventWebSocket("/ws/events");
        await app.StartAsync();
        var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        var ws = new UriBuilder(address) { Scheme = "ws", Path = "/ws/events" }.Uri;

        var first = await WsClient.RefusedAsync(ws);
        var second = await WsClient.RefusedAsync(ws);

        Assert.That((first, second), Is.EqualTo((HttpStatusCode.BadRequest, HttpStatusCode.BadRequest)));
        var warnings = logs.Entries.Where(l => l.Level == LogLevel.Warning && l.Message.Contains("UseWebSockets()", StringComparison.Ordinal)).ToList();
        Assert.That(warnings, Has.Count.EqualTo(1), string.Join('\n', logs.Entries.Select(l => l.Message)));
        await app.StopAsync();
    }

    private sealed class SingleLoggerProvider(ILogger logger) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => logger;

        public void Dispose()
        {
        }
    }
}
