using System.Net;
using System.Text.Json;
using EventManager.AspNetCore.Tests.Support;
using EventManager.Redis.Tests.Support;

namespace EventManager.AspNetCore.Tests;

/// <summary>
/// <c>AddHealthChecks().AddEventManager()</c> on a real host with <c>MapHealthChecks</c> at /health, against a real
/// redis-server that is stopped and restarted; default thresholds and default mirror options but the endpoint.
/// </summary>
[TestFixture]
public sealed class HealthEndpointTests
{
    [Test]
    public async Task Health_EveryRegisteredPart_HasItsOwnCheckAndAllAreHealthy()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var server = await EventServer.StartAsync(redis: Mirror(redis));
        await Eventually.Until(() => server.Services<Redis.RedisEventMirror>().Health == Redis.RedisMirrorHealth.Connected, "the mirror connects");

        var (status, report) = await GetHealthAsync(server);

        Assert.Multiple(() =>
        {
            Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(report.GetProperty("status").GetString(), Is.EqualTo("Healthy"));
            Assert.That(report.GetProperty("checks").EnumerateObject().Select(c => c.Name), Is.EquivalentTo(new[] { "eventmanager", "eventmanager.redis", "eventmanager.sockets" }));
            Assert.That(Check(report, "eventmanager.redis").GetProperty("data").GetProperty("health").GetString(), Is.EqualTo("Connected"));
        });
    }

    [Test]
    public async Task Health_RedisStoppedThenRestarted_MirrorDegradedNamingTheCauseThenHealthy()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var server = await EventServer.StartAsync(redis: Mirror(redis));
        await Eventually.Until(() => server.Services<Redis.RedisEventMirror>().Health == Redis.RedisMirrorHealth.Connected, "the mirror connects");

        redis.Kill();
        var (statusDuringOutage, duringOutage) = await HealthWhenAsync(server, r => Check(r, "eventmanager.redis").GetProperty("status").GetString() == "Degraded", "the mirror's check turns Degraded");
        await redis.RestartAsync();
        var (_, afterRestart) = await HealthWhenAsync(server, r => r.GetProperty("status").GetString() == "Healthy", "every check is Healthy again");

        Assert.Multiple(() =>
        {
            Assert.That(statusDuringOutage, Is.EqualTo(HttpStatusCode.OK), "Degraded still answers 200, so a readiness probe can choose");
            Assert.That(duringOutage.GetProperty("status").GetString(), Is.EqualTo("Degraded"));
            Assert.That(Check(duringOutage, "eventmanager").GetProperty("status").GetString(), Is.EqualTo("Healthy"), "local delivery is unharmed");
            Assert.That(Check(duringOutage, "eventmanager.redis").GetProperty("description").GetString(), Does.Contain(redis.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)), "the endpoint is named");
            Assert.That(Check(afterRestart, "eventmanager.redis").GetProperty("data").GetProperty("reconnects").GetInt64(), Is.GreaterThanOrEqualTo(1));
        });
    }

    [Test]
    public async Task Health_MirrorBufferOverflowsDuringOutage_Unhealthy503WithTheDropCount()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var server = await EventServer.StartAsync(redis: o =>
        {
            Mirror(redis)(o);
            o.OutboundBufferSize = 10;
        });
        var mirror = server.Services<Redis.RedisEventMirror>();
        await Eventually.Until(() => mirror.Health == Redis.RedisMirrorHealth.Connected, "the mirror connects");
        redis.Kill();
        await Eventually.Until(() => mirror.Health == Redis.RedisMirrorHealth.LocalOnly, "the mirror sees the outage");

        for (var i = 0; i < 30; i++)
        {
            server.Manager.Publish(new CustomEvent("during.outage"));
        }

        await Eventually.Until(() => mirror.GetMetrics().OutboundDropped > 0, "the outbound buffer drops");
        var (status, report) = await GetHealthAsync(server);

        Assert.Multiple(() =>
        {
            Assert.That(status, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
            Assert.That(Check(report, "eventmanager.redis").GetProperty("status").GetString(), Is.EqualTo("Unhealthy"));
            Assert.That(Check(report, "eventmanager.redis").GetProperty("data").GetProperty("outbound_dropped").GetInt64(), Is.GreaterThan(0));
        });
    }

    [Test]
    public async Task Health_ClientRefusedByTheLimit_SocketsDegraded()
    {
        await using var server = await EventServer.StartAsync(o => o.Broadcaster.MaxClients = 1);
        await using var first = await WsClient.ConnectAsync(server.WsUri("/ws/events"));
        await first.NextAsync("connected");
        var before = Check((await GetHealthAsync(server)).Report, "eventmanager.sockets").GetProperty("status").GetString();

        Assert.That(await WsClient.RefusedAsync(server.WsUri("/ws/events")), Is.EqualTo(HttpStatusCode.ServiceUnavailable));
        var after = Check((await GetHealthAsync(server)).Report, "eventmanager.sockets");

        Assert.Multiple(() =>
        {
            Assert.That(before, Is.EqualTo("Healthy"));
            Assert.That(after.GetProperty("status").GetString(), Is.EqualTo("Degraded"));
            Assert.That(after.GetProperty("data").GetProperty("clients_refused").GetInt64(), Is.EqualTo(1));
        });
    }

    private static Action<Redis.RedisMirrorOptions> Mirror(RedisServer redis) => o =>
    {
        o.Configuration = redis.Configuration;
        o.Channel = "health:" + Guid.NewGuid().ToString("N");
    };

    private static JsonElement Check(JsonElement report, string name) => report.GetProperty("checks").GetProperty(name);

    private static async Task<(HttpStatusCode Status, JsonElement Report)> GetHealthAsync(EventServer server)
    {
        using var http = new HttpClient();
        using var response = await http.GetAsync(server.HttpUri("/health"));
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
    }

    private static async Task<(HttpStatusCode Status, JsonElement Report)> HealthWhenAsync(EventServer server, Func<JsonElement, bool> condition, string because)
    {
        (HttpStatusCode, JsonElement) last = default;
        await Eventually.Until(
            async () =>
            {
                last = await GetHealthAsync(server);
                return condition(last.Item2);
            },
            because);
        return last;
    }
}
