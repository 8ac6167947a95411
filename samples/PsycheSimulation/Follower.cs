using EventManager;
using EventManager.Client;

namespace PsycheSimulation;

/// <summary>
/// The <c>--follow &lt;url&gt;</c> mode: instead of simulating, this instance follows another instance's stream with
/// <see cref="EventManagerClient"/> and publishes what it receives to its own manager, so its dashboard shows the other's
/// conversation. Reconnects and resumes are the client's; what it reports is logged.
/// </summary>
internal sealed partial class Follower(WebSocketEventManager manager, IConfiguration configuration, ILogger<Follower> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var source = new Uri(configuration["Follow"]!);
        await using var client = new EventManagerClient(source, new EventManagerClientOptions
        {
            OnResumed = r => LogResumed(logger, r.Status, r.Replayed),
            OnGap = g => LogGap(logger, g.Missed),
            OnError = e => LogConnectionProblem(logger, e.Message),
        });
        LogFollowing(logger, source);
        try
        {
            await foreach (var evt in client.ReadEventsAsync(stoppingToken))
            {
                await manager.PublishAsync(evt, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The host is stopping.
        }
    }

    [LoggerMessage(1, LogLevel.Information, "Following the event stream of {Source}.")]
    private static partial void LogFollowing(ILogger logger, Uri source);

    [LoggerMessage(2, LogLevel.Information, "Resumed the followed stream: {Status}, {Replayed} events replayed.")]
    private static partial void LogResumed(ILogger logger, ResumeStatus status, int replayed);

    [LoggerMessage(3, LogLevel.Warning, "The followed server dropped {Missed} events for this follower.")]
    private static partial void LogGap(ILogger logger, long missed);

    [LoggerMessage(4, LogLevel.Warning, "The followed stream: {Problem} Reconnecting.")]
    private static partial void LogConnectionProblem(ILogger logger, string problem);
}
