using System.Collections.Concurrent;
using EventManager;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace PsycheSimulation.Tests;

/// <summary>The sample's <c>--follow</c> mode: one instance simulates, another follows its stream with the .NET client.</summary>
public sealed class FollowTests
{
    [TestCase("/ws/events")]
    [TestCase("/events")]
    public async Task Follow_AnotherInstancesStream_RepublishesItsConversationLocally(string path)
    {
        var simulating = PsycheApp.Create(["--urls", "http://127.0.0.1:0", "--agents", "4", "--rate", "50"]);
        await simulating.StartAsync();
        try
        {
            var address = new Uri(simulating.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
            var source = new UriBuilder(address) { Scheme = path.StartsWith("/ws", StringComparison.Ordinal) ? "ws" : "http", Path = path }.Uri;
            var following = PsycheApp.Create(["--urls", "http://127.0.0.1:0", "--follow", source.ToString()]);
            var received = new ConcurrentQueue<WebSocketEvent>();
            following.Services.GetRequiredService<WebSocketEventManager>().AddListener(received.Enqueue);
            await following.StartAsync();
            try
            {
                var origin = simulating.Services.GetRequiredService<WebSocketEventManager>().InstanceId;
                await Eventually.Until(() => received.Count(e => e is AgentMessageEvent && e.OriginId == origin) >= 10, "the simulating instance's messages arrive at the follower");
            }
            finally
            {
                await following.StopAsync();
                await following.DisposeAsync();
            }
        }
        finally
        {
            await simulating.StopAsync();
            await simulating.DisposeAsync();
        }
    }
}
