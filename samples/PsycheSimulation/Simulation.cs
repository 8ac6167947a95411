using EventManager;
using Microsoft.Extensions.Options;

namespace PsycheSimulation;

/// <summary>Runs the conversation at the configured rate on the manager's clock and publishes what happens.</summary>
internal sealed partial class Simulation(WebSocketEventManager manager, IOptions<SimulationOptions> options, IConfiguration configuration, ILogger<Simulation> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        var prefix = settings.AgentPrefix ?? (configuration["Redis"] is { Length: > 0 } ? "agent-" + manager.InstanceId[..4] : "agent");
        var conversation = new Conversation(settings.Agents, settings.Seed, prefix);
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1 / settings.Rate), manager.TimeProvider);
        LogStarted(logger, settings.Agents, settings.Rate, settings.Seed);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                foreach (var evt in conversation.Next())
                {
                    await manager.PublishAsync(evt with { Timestamp = manager.TimeProvider.GetUtcNow() }, stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The host is stopping.
        }
        catch (ObjectDisposedException)
        {
            // The manager stopped first.
        }
    }

    [LoggerMessage(1, LogLevel.Information, "Simulating {Agents} agents at {Rate} messages/s with seed {Seed}.")]
    private static partial void LogStarted(ILogger logger, int agents, double rate, int seed);
}
