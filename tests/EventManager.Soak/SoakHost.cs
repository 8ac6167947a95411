using System.Net;
using EventManager.Redis;
using EventManager.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EventManager.Soak;

/// <summary>One instance: a manager mirrored through Redis with a shared history, behind real Kestrel with both socket endpoints.</summary>
internal sealed class SoakHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private SoakHost(WebApplication app, Uri http, Tracker tracker, ErrorCounter errors)
    {
        _app = app;
        Http = http;
        Tracker = tracker;
        Errors = errors;
    }

    public Uri Http { get; }

    public Uri Ws => new UriBuilder(Http) { Scheme = "ws" }.Uri;

    /// <summary>Every soak event this instance dispatched, for telling a client's loss from the instance's own.</summary>
    public Tracker Tracker { get; }

    public ErrorCounter Errors { get; }

    public WebSocketEventManager Manager => _app.Services.GetRequiredService<WebSocketEventManager>();

    public WebSocketBroadcaster Broadcaster => _app.Services.GetRequiredService<WebSocketBroadcaster>();

    public RedisEventMirror Mirror => _app.Services.GetRequiredService<RedisEventMirror>();

    public static async Task<SoakHost> StartAsync(string redis, string channel, int publishers, int historyCapacity, TimeSpan sendTimeout)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        var errors = new ErrorCounter();
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(errors);
        builder.Services.AddWebSocketEventManager(o => o.HistoryCapacity = historyCapacity)
            .AddEventSockets(o =>
            {
                o.Broadcaster.MaxClients = 1000;
                o.Broadcaster.MaxFramesPerSecond = 50;
                // Longer than the run: the client that does not read must stay connected so its drops can be compared with
                // what it is told at the end (the server rightly cuts off a client stuck longer than SendTimeout).
                o.Broadcaster.SendTimeout = sendTimeout;
            })
            .AddRedisMirror(o =>
            {
                o.Configuration = redis;
                o.Channel = channel;
                o.SharedHistory = true;
                o.SharedHistoryLength = historyCapacity;
                o.OutboundBufferSize = 1_000_000;
                o.RetryInterval = TimeSpan.FromMilliseconds(100);
            });
        var app = builder.Build();
        app.UseWebSockets();
        app.MapEventWebSocket("/ws/events");
        app.MapEventStream("/events");
        await app.StartAsync();
        var tracker = new Tracker(publishers);
        app.Services.GetRequiredService<WebSocketEventManager>().AddListener(
            evt =>
            {
                if (evt is CustomEvent { EventType: "soak.tick" } tick)
                {
                    tracker.Record(tick.Data.GetProperty("p").GetInt32(), tick.Data.GetProperty("n").GetInt64(), evt.EventId);
                }
            },
            new ListenerOptions { Capacity = ListenerOptions.MaxCapacity, OverflowPolicy = OverflowPolicy.Wait, Name = "soak-tracker" });
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new SoakHost(app, new Uri(address), tracker, errors);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    /// <summary>Counts log entries at Error and above, and keeps the first few.</summary>
    internal sealed class ErrorCounter : ILoggerProvider, ILogger
    {
        private long _count;

        public long Count => Interlocked.Read(ref _count);

        public System.Collections.Concurrent.ConcurrentQueue<string> First { get; } = new();

        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Error;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel < LogLevel.Error)
            {
                return;
            }

            if (Interlocked.Increment(ref _count) <= 5)
            {
                First.Enqueue($"{formatter(state, exception)} {exception?.GetType().Name} {exception?.Message}");
            }
        }

        public void Dispose()
        {
        }
    }
}
