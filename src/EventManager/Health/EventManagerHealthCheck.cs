using System.Globalization;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace EventManager.Health;

/// <summary>
/// The manager's health: Unhealthy when disposed or when events were dropped within the drop window, Degraded when its
/// fullest queue is at or above the fill threshold, Healthy otherwise. Its data carries the figures it judged by.
/// </summary>
internal sealed class EventManagerHealthCheck(WebSocketEventManager manager, EventManagerHealthCheckOptions options) : IHealthCheck
{
    public const string Name = "eventmanager";

    private readonly RecentIncrease _drops = new(manager.TimeProvider, options.DropWindow);

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (manager.IsDisposed)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("The event manager is disposed."));
        }

        var metrics = manager.GetMetrics();
        var fullest = manager.FullestQueue();
        var fill = (double)fullest.Depth / fullest.Capacity;
        var data = new Dictionary<string, object>
        {
            ["instance_id"] = manager.InstanceId,
            ["published"] = metrics.Published,
            ["dispatched"] = metrics.Dispatched,
            ["delivered"] = metrics.Delivered,
            ["dropped"] = metrics.Dropped,
            ["rejected"] = metrics.Rejected,
            ["listener_errors"] = metrics.ListenerErrors,
            ["listeners"] = metrics.Listeners.Count,
            ["ingress_depth"] = metrics.QueueDepth,
            ["fullest_queue"] = fullest.Queue,
            ["fullest_queue_depth"] = fullest.Depth,
            ["fullest_queue_capacity"] = fullest.Capacity,
        };

        HealthCheckResult result;
        if (_drops.RoseRecently(metrics.Dropped))
        {
            result = HealthCheckResult.Unhealthy(string.Create(CultureInfo.InvariantCulture, $"Events were dropped within the last {options.DropWindow} ({metrics.Dropped} in all)."), data: data);
        }
        else if (fill >= options.DegradedQueueFill)
        {
            result = HealthCheckResult.Degraded(string.Create(CultureInfo.InvariantCulture, $"The {fullest.Queue} queue holds {fullest.Depth} of {fullest.Capacity} events."), data: data);
        }
        else
        {
            result = HealthCheckResult.Healthy(data: data);
        }

        return Task.FromResult(result);
    }
}
