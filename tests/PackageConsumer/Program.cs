// Uses each package as a NuGet user would: a host with the socket endpoints and health checks, a Redis mirror's options,
// and the .NET client reading the host's stream. Prints one line and exits 0 when everything worked.
using System.Net;
using EventManager;
using EventManager.Client;
using EventManager.Redis;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

var builder = WebApplication.CreateSlimBuilder(args);
builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
builder.Logging.ClearProviders();
builder.Services.AddWebSocketEventManager().AddEventSockets();
builder.Services.AddHealthChecks().AddEventManager();
var app = builder.Build();
app.UseWebSockets();
app.MapEventWebSocket("/ws/events");
app.MapEventManagerClient();
app.MapHealthChecks("/health");
await app.StartAsync();

var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
var manager = app.Services.GetRequiredService<WebSocketEventManager>();
var mirrorOptions = new RedisMirrorOptions { Configuration = "localhost:6379", SharedHistory = true };

using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
for (var i = 0; i < 3; i++)
{
    manager.BroadcastAgentMessage("agent_" + i, "consumer", "hello " + i);
}

// Resuming from the stream's epoch means "from its start": the events already published are replayed, so nothing has to
// wait for the connection before publishing.
await using var client = new EventManagerClient(
    new UriBuilder(address) { Scheme = "ws", Path = "/ws/events" }.Uri,
    new EventManagerClientOptions { LastEventId = manager.Epoch, Epoch = manager.Epoch });
var received = new List<WebSocketEvent>();
var reading = Task.Run(async () =>
{
    await foreach (var evt in client.ReadEventsAsync(timeout.Token))
    {
        received.Add(evt);
        if (received.Count == 3)
        {
            break;
        }
    }
});
await reading.WaitAsync(timeout.Token);
using var http = new HttpClient { BaseAddress = address };
var health = await http.GetStringAsync(new Uri("/health", UriKind.Relative), timeout.Token);
var script = await http.GetStringAsync(new Uri("/eventmanager.js", UriKind.Relative), timeout.Token);
await app.StopAsync(timeout.Token);

var ok = received.Count == 3 && received.All(e => e is AgentMessageEvent) && health == "Healthy" && script.Contains("EventManagerClient", StringComparison.Ordinal) && mirrorOptions.SharedHistory;
Console.WriteLine($"package consumer: {(ok ? "ok" : "FAILED")} ({received.Count} typed events through EventManager.Client, health {health}, eventmanager.js {script.Length} bytes)");
return ok ? 0 : 1;
