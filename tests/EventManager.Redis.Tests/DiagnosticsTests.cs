using EventManager.Redis.Tests.Support;
using Microsoft.Extensions.Logging;

namespace EventManager.Redis.Tests;

/// <summary>An outage says where and why, with a logger or without one; an orderly stop is not reported as a problem.</summary>
[TestFixture]
public sealed class DiagnosticsTests
{
    [TearDown]
    public void ReportLogsIfFailed() => MirroredInstance.ReportIfFailed();

    [Test]
    public async Task Start_WithNothingListening_LogsTheEndpointAndTheCause()
    {
        var server = RedisServer.Unstarted();
        await using var instance = await MirroredInstance.StartAsync(server.Configuration);

        // StackExchange.Redis may write the failure just after the connect returns.
        await Eventually.Until(() => Warnings(instance).Any(m => m.Contains($"127.0.0.1:{server.Port} UnableToConnect", StringComparison.Ordinal)), "a warning names the endpoint and StackExchange.Redis's failure type");
        Assert.That(instance.Mirror.Health, Is.EqualTo(RedisMirrorHealth.LocalOnly));
    }

    [Test]
    public async Task Reconnects_ToTwoEndpointsThatKeepFailing_LogEachFailureOnce()
    {
        await using var live = await RedisServer.StartAsync();
        var gone = RedisServer.Unstarted();
        var alsoGone = RedisServer.Unstarted();
        await using var instance = await MirroredInstance.StartAsync($"127.0.0.1:{live.Port},127.0.0.1:{gone.Port},127.0.0.1:{alsoGone.Port},connectTimeout=2000,connectRetry=1");

        // StackExchange.Redis keeps retrying both dead endpoints in turn; wait until each has failed again after the other.
        var seen = new List<string>();
        await Eventually.Until(
            () =>
            {
                if (instance.Mirror.GetMetrics().LastFailure is { } failure && (seen.Count == 0 || seen[^1] != failure))
                {
                    seen.Add(failure);
                }

                return seen.Count >= 4;
            },
            "the two failures alternated twice",
            TimeSpan.FromMinutes(1));

        var logged = Warnings(instance).Where(m => m.StartsWith("Redis connection failed", StringComparison.Ordinal)).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(logged.Count(m => m.Contains($":{gone.Port} ", StringComparison.Ordinal)), Is.EqualTo(1), string.Join(Environment.NewLine, logged));
            Assert.That(logged.Count(m => m.Contains($":{alsoGone.Port} ", StringComparison.Ordinal)), Is.EqualTo(1), string.Join(Environment.NewLine, logged));
        });
    }

    [Test]
    public async Task Start_WithAWrongPassword_LogsAnAuthenticationFailure()
    {
        await using var server = await RedisServer.StartAsync("--requirepass", "right");
        await using var instance = await MirroredInstance.StartAsync(server.Configuration + ",password=wrong");

        await Eventually.Until(() => Warnings(instance).Any(m => m.Contains($"127.0.0.1:{server.Port} AuthenticationFailure", StringComparison.Ordinal)), "a warning names the endpoint and the failure");
    }

    [Test]
    public async Task Start_WithoutALogger_ReportsTheCauseInItsMetrics()
    {
        var server = RedisServer.Unstarted();
        await using var manager = new WebSocketEventManager();
        await using var mirror = await RedisEventMirror.StartAsync(manager, new RedisMirrorOptions { Configuration = server.Configuration });

        await Eventually.Until(() => mirror.GetMetrics().LastFailure is not null, "the failure is known");
        var metrics = mirror.GetMetrics();
        Assert.Multiple(() =>
        {
            Assert.That(metrics.Health, Is.EqualTo(RedisMirrorHealth.LocalOnly));
            Assert.That(metrics.LastFailure, Does.StartWith($"127.0.0.1:{server.Port} UnableToConnect"));
        });
    }

    [Test]
    public async Task Dispose_WhileConnectedWithABacklog_SendsItAndLogsNoWarning()
    {
        await using var server = await RedisServer.StartAsync();
        var instance = await MirroredInstance.StartAsync(server.Configuration);

        // Enough that stopping spends a while sending them after it has unsubscribed, as a busy instance's stop does.
        for (var i = 0; i < 20_000; i++)
        {
            instance.Manager.BroadcastAgentMessage("agent-a", "before", "stopping");
        }

        await instance.DisposeAsync();

        Assert.Multiple(() =>
        {
            Assert.That(instance.Mirror.Health, Is.EqualTo(RedisMirrorHealth.Stopped));
            Assert.That(instance.Mirror.GetMetrics().OutboundDropped, Is.Zero, "stopping sent what it held");
            Assert.That(instance.Logger.Entries.Where(e => e.Level >= LogLevel.Warning).Select(e => e.Message), Is.Empty);
        });
    }

    private static IEnumerable<string> Warnings(MirroredInstance instance) =>
        instance.Logger.Entries.Where(e => e.Level == LogLevel.Warning).Select(e => e.Message);
}
