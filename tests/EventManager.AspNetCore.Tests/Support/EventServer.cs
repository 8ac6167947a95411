using System.Collections.Concurrent;
using System.Net;
using System.Security.Claims;
using System.Text.Encodings.Web;
using EventManager.AspNetCore;
using EventManager.Sockets;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EventManager.AspNetCore.Tests.Support;

/// <summary>
/// A real Kestrel server on 127.0.0.1 with the library's endpoints: /ws/events[/{sessionId}], /events[/{sessionId}],
/// /secure/ws (role "admin"), /eventmanager.js, and /health (the health checks as JSON). Requests authenticate with "Authorization: Test user:role".
/// </summary>
internal sealed class EventServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private EventServer(WebApplication app, Uri http, ConcurrentQueue<LogEntry> logs)
    {
        _app = app;
        Logs = logs;
        Http = http;
        Ws = new UriBuilder(http) { Scheme = "ws" }.Uri;
    }

    public Uri Http { get; }

    public Uri Ws { get; }

    public WebSocketEventManager Manager => _app.Services.GetRequiredService<WebSocketEventManager>();

    public WebSocketBroadcaster Broadcaster => _app.Services.GetRequiredService<WebSocketBroadcaster>();

    public ConcurrentQueue<LogEntry> Logs { get; }

    public static async Task<EventServer> StartAsync(Action<EventSocketOptions>? configure = null, TimeProvider? time = null, int port = 0, Action<EventManagerOptions>? manager = null, Action<EventManager.Redis.RedisMirrorOptions>? redis = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, port));
        builder.Logging.ClearProviders();
        var logs = new ConcurrentQueue<LogEntry>();
        builder.Logging.AddProvider(new CapturingProvider(logs));
        builder.Logging.SetMinimumLevel(LogLevel.Debug);
        if (time is not null)
        {
            builder.Services.AddSingleton(time);
        }

        var events = builder.Services.AddWebSocketEventManager(manager).AddEventSockets(configure);
        if (redis is not null)
        {
            events.AddRedisMirror(redis);
        }

        builder.Services.AddHealthChecks().AddEventManager();
        builder.Services.AddAuthentication("Test").AddScheme<AuthenticationSchemeOptions, TestAuthenticationHandler>("Test", null);
        builder.Services.AddAuthorization(o => o.AddPolicy("admin", p => p.RequireRole("admin")));
        var app = builder.Build();
        app.UseWebSockets();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapEventWebSocket("/ws/events");
        app.MapEventWebSocket("/ws/events/{sessionId}");
        app.MapEventWebSocket("/secure/ws").RequireAuthorization("admin");
        app.MapEventStream("/events");
        app.MapEventStream("/events/{sessionId}");
        app.MapEventManagerClient();
        app.MapHealthChecks("/health", new HealthCheckOptions { ResponseWriter = WriteHealthReportAsync });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new EventServer(app, new Uri(address), logs);
    }

    public T Services<T>()
        where T : notnull => _app.Services.GetRequiredService<T>();

    public Uri WsUri(string path) => new(Ws, path);

    public Uri HttpUri(string path) => new(Http, path);

    public Task StopAsync() => _app.StopAsync();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    /// <summary>The report as JSON: the overall status, and each check's status, description and data.</summary>
    private static Task WriteHealthReportAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsJsonAsync(new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(e => e.Key, e => new { status = e.Value.Status.ToString(), description = e.Value.Description, data = e.Value.Data }),
        });
    }

    /// <summary>"Authorization: Test name:role1,role2" signs in as name with those roles; no header is anonymous.</summary>
    private sealed class TestAuthenticationHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
        : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
    {
        protected override Task<AuthenticateResult> HandleAuthenticateAsync()
        {
            var header = Request.Headers.Authorization.ToString();
            if (!header.StartsWith("Test ", StringComparison.Ordinal))
            {
                return Task.FromResult(AuthenticateResult.NoResult());
            }

            var parts = header["Test ".Length..].Split(':', 2);
            var claims = new List<Claim> { new(ClaimTypes.NameIdentifier, parts[0]), new(ClaimTypes.Name, parts[0]) };
            if (parts.Length > 1)
            {
                claims.AddRange(parts[1].Split(',', StringSplitOptions.RemoveEmptyEntries).Select(r => new Claim(ClaimTypes.Role, r)));
            }

            var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, "Test"));
            return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(principal, "Test")));
        }
    }

    private sealed class CapturingProvider(ConcurrentQueue<LogEntry> sink) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Logger(sink);

        public void Dispose()
        {
        }

        private sealed class Logger(ConcurrentQueue<LogEntry> sink) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
                => sink.Enqueue(new LogEntry(logLevel, eventId, formatter(state, exception), exception));
        }
    }
}
