using System.Globalization;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace EventManager.Health;

/// <summary>
/// The manager's health: Unhealthy when disposed or when its ingress or one of its listeners dropped events within the drop
/// window, Degraded when its fullest queue is at or above the fill threshold, Healthy otherwise. Socket clients are listeners
/// too, named <c>client:&lt;id&gt;</c>; a slow browser tab losing its own events is the <c>eventmanager.sockets</c> check's
/// to report (Degraded there), not a fault of the manager, so their drops and queues are left out here.
/// Its data carries the figures it judged by.
/// </summary>
internal sealed class EventManagerHealthCheck(WebSocketEventManager manager, EventManagerHealthCheckOptions options) : IHealthCheck
{
    public const string Name = "eventmanager";

    /// <summary>How EventManager.Sockets names each client's listener (ResumeCoordinator).</summary>
    public const string SocketClientPrefix = "client:";

    private readonly RecentIncrease _drops = new(manager.TimeProvider, options.DropWindow);

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (manager.IsDisposed)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("The event manager is disposed."));
        }

        var metrics = manager.GetMetrics();
        var ownDrops = manager.DroppedOutsideSocketClients();
        var fullest = manager.FullestQueue(l => !IsSocketClient(l.Name));
        var fill = (double)fullest.Depth / fullest.Capacity;
        var data = new Dictionary<string, object>
        {
            ["instance_id"] = manager.InstanceId,
            ["published"] = metrics.Published,
            ["dispatched"] = metrics.Dispatched,
            ["delivered"] = metrics.Delivered,
            ["dropped"] = metrics.Dropped,
            ["dropped_by_ingress_and_listeners"] = ownDrops,
            ["rejected"] = metrics.Rejected,
            ["listener_errors"] = metrics.ListenerErrors,
            ["listeners"] = metrics.Listeners.Count,
            ["ingress_depth"] = metrics.QueueDepth,
            ["fullest_queue"] = fullest.Queue,
            ["fullest_queue_depth"] = fullest.Depth,
            ["fullest_queue_capacity"] = fullest.Capacity,
        };

        HealthCheckResult result;
        if (_drops.RoseRecently(ownDrops))
        {
            result = HealthCheckResult.Unhealthy(string.Create(CultureInfo.InvariantCulture, $"Events were dropped within the last {options.DropWindow} ({ownDrops} by the ingress and the listeners in all, socket clients aside)."), data: data);
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

    internal static bool IsSocketClient(string? listenerName) => listenerName?.StartsWith(SocketClientPrefix, StringComparison.Ordinal) == true;
}
