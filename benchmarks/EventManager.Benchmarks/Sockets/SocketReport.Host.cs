using System.Collections.Concurrent;
using System.Net;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EventManager.Benchmarks.Sockets;

/// <summary>The report's server.</summary>
internal static partial class SocketReport
{
    /// <summary>A Kestrel app with the library's endpoint and a bare endpoint that only collects sockets.</summary>
    internal sealed class Host : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private TaskCompletionSource _releaseBare = new(TaskCreationOptions.RunContinuationsAsynchronously);

        private Host(WebApplication app, Uri http)
        {
            _app = app;
            Http = http;
        }

        public Uri Http { get; }

        public WebSocketEventManager Manager => _app.Services.GetRequiredService<WebSocketEventManager>();

        public EventManager.Sockets.WebSocketBroadcaster Broadcaster => _app.Services.GetRequiredService<EventManager.Sockets.WebSocketBroadcaster>();

        public ConcurrentQueue<WebSocket> BareSockets { get; } = new();

        public static async Task<Host> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
            builder.Logging.ClearProviders();
            builder.Services.AddWebSocketEventManager().AddEventSockets(o => o.EnableCompression = true);
            var app = builder.Build();
            app.UseWebSockets();
            app.MapEventWebSocket("/ws/events");
            Host? host = null;
            app.Map("/bare", async (HttpContext context) =>
            {
                using var socket = await context.WebSockets.AcceptWebSocketAsync();
                host!.BareSockets.Enqueue(socket);
                await host._releaseBare.Task;
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
            });
            await app.StartAsync();
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            host = new Host(app, new Uri(address));
            return host;
        }

        public Uri Ws(string path) => new(new UriBuilder(Http) { Scheme = "ws" }.Uri, path);

        public void ReleaseBare()
        {
            Interlocked.Exchange(ref _releaseBare, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        }

        public async ValueTask DisposeAsync()
        {
            ReleaseBare();
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
