using System.Globalization;
using EventManager.Health;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace EventManager.Redis.Health;

/// <summary>
/// The mirror's health: Healthy when <see cref="RedisMirrorHealth.Connected"/>; Degraded while starting, catching up or
/// <see cref="RedisMirrorHealth.LocalOnly"/> (local delivery goes on; other instances are not reached); Unhealthy when
/// stopped or when its outbound buffer or inbound queue dropped events within the drop window.
/// </summary>
internal sealed class RedisMirrorHealthCheck(RedisEventMirror mirror, TimeProvider time, EventManagerHealthCheckOptions options) : IHealthCheck
{
    public const string Name = "eventmanager.redis";

    private readonly RecentIncrease _drops = new(time, options.DropWindow);

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var metrics = mirror.GetMetrics();
        var dropped = metrics.OutboundDropped + metrics.InboundDropped;
        var data = new Dictionary<string, object>
        {
            ["health"] = metrics.Health.ToString(),
            ["channel"] = mirror.Channel,
            ["mirrored_out"] = metrics.MirroredOut,
            ["mirrored_in"] = metrics.MirroredIn,
            ["outbound_buffer_depth"] = metrics.OutboundBufferDepth,
            ["outbound_dropped"] = metrics.OutboundDropped,
            ["inbound_dropped"] = metrics.InboundDropped,
            ["redis_errors"] = metrics.RedisErrors,
            ["reconnects"] = metrics.Reconnects,
        };
        if (metrics.LastFailure is { } failure)
        {
            data["last_failure"] = failure;
        }

        HealthCheckResult result;
        if (_drops.RoseRecently(dropped))
        {
            result = HealthCheckResult.Unhealthy(string.Create(CultureInfo.InvariantCulture, $"The mirror dropped events within the last {options.DropWindow} ({metrics.OutboundDropped} outbound, {metrics.InboundDropped} inbound in all); it is {metrics.Health}."), data: data);
        }
        else
        {
            result = metrics.Health switch
            {
                RedisMirrorHealth.Connected => HealthCheckResult.Healthy(data: data),
                RedisMirrorHealth.Stopped => HealthCheckResult.Unhealthy("The mirror is stopped.", data: data),
                RedisMirrorHealth.LocalOnly => HealthCheckResult.Degraded(string.Create(CultureInfo.InvariantCulture, $"Redis is unreachable; {metrics.OutboundBufferDepth} local events wait to be sent. {metrics.LastFailure}"), data: data),
                _ => HealthCheckResult.Degraded(string.Create(CultureInfo.InvariantCulture, $"The mirror is {metrics.Health}; {metrics.OutboundBufferDepth} local events wait to be sent."), data: data),
            };
        }

        return Task.FromResult(result);
    }
}
