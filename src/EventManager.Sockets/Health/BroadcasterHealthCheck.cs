using System.Globalization;
using EventManager.Health;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace EventManager.Sockets.Health;

/// <summary>
/// The broadcaster's health: Unhealthy once disposed (it refuses every client); Degraded when it refused connections or
/// dropped events from slow clients' queues within the drop window (each such client was told in a <c>gap</c> frame, and the
/// others were unharmed); Healthy otherwise.
/// </summary>
internal sealed class BroadcasterHealthCheck(WebSocketBroadcaster broadcaster, EventManagerHealthCheckOptions options) : IHealthCheck
{
    public const string Name = "eventmanager.sockets";

    private readonly RecentIncrease _drops = new(broadcaster.Manager.TimeProvider, options.DropWindow);
    private readonly RecentIncrease _refusals = new(broadcaster.Manager.TimeProvider, options.DropWindow);

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var metrics = broadcaster.GetMetrics();
        var data = new Dictionary<string, object>
        {
            ["connected_clients"] = metrics.ConnectedClients,
            ["active_sessions"] = metrics.ActiveSessions,
            ["events_sent"] = metrics.EventsSent,
            ["events_dropped"] = metrics.EventsDropped,
            ["clients_refused"] = metrics.ClientsRefused,
            ["protocol_errors"] = metrics.ProtocolErrors,
            ["resumes_not_recovered"] = metrics.ResumesNotRecovered,
        };

        // Both are observed on every check, so each one's window starts when that count rose.
        var dropping = _drops.RoseRecently(metrics.EventsDropped);
        var refusing = _refusals.RoseRecently(metrics.ClientsRefused);
        HealthCheckResult result;
        if (broadcaster.IsDisposed)
        {
            result = HealthCheckResult.Unhealthy("The broadcaster is disposed and refuses every client.", data: data);
        }
        else if (dropping || refusing)
        {
            var what = (dropping, refusing) switch
            {
                (true, true) => "dropped events from slow clients' queues and refused connections",
                (true, false) => "dropped events from slow clients' queues",
                _ => "refused connections",
            };
            result = HealthCheckResult.Degraded(string.Create(CultureInfo.InvariantCulture, $"The broadcaster {what} within the last {options.DropWindow} ({metrics.EventsDropped} events dropped, {metrics.ClientsRefused} clients refused in all)."), data: data);
        }
        else
        {
            result = HealthCheckResult.Healthy(data: data);
        }

        return Task.FromResult(result);
    }
}
