using EventManager;
using Microsoft.Extensions.Options;

namespace PsycheSimulation;

/// <summary>Builds the sample: the simulation, the status reporter, the socket endpoints, the dashboard, and optionally Redis.</summary>
public static class PsycheApp
{
    /// <summary>
    /// Creates the app from command-line arguments: <c>--agents</c>, <c>--rate</c>, <c>--seed</c>, <c>--redis &lt;configuration&gt;</c>,
    /// <c>--follow &lt;another instance's stream&gt;</c>, and ASP.NET Core's own such as <c>--urls</c>.
    /// </summary>
    /// <param name="args">The arguments.</param>
    /// <param name="configure">Further set-up, for tests.</param>
    /// <returns>The app, not yet started.</returns>
    public static WebApplication Create(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory, WebRootPath = Path.Combine(AppContext.BaseDirectory, "wwwroot") });
        builder.Configuration.AddCommandLine(args, new Dictionary<string, string>
        {
            ["--agents"] = "Simulation:Agents",
            ["--rate"] = "Simulation:Rate",
            ["--seed"] = "Simulation:Seed",
            ["--redis"] = "Redis",
            ["--follow"] = "Follow",
        });
        builder.Services.AddOptions<SimulationOptions>().Bind(builder.Configuration.GetSection("Simulation")).Validate(o =>
        {
            o.Validate();
            return true;
        });
        var simulation = builder.Configuration.GetSection("Simulation").Get<SimulationOptions>() ?? new SimulationOptions();
        var events = builder.Services.AddWebSocketEventManager()
            .AddStatusReporter(o =>
            {
                o.Interval = simulation.StatusInterval;
                o.ActiveAgents = () => simulation.Agents;
                o.Metadata = new Dictionary<string, object?> { ["simulation"] = "psyche", ["seed"] = simulation.Seed };
            })
            .AddEventSockets();
        if (builder.Configuration["Redis"] is { Length: > 0 } redis)
        {
            events.AddRedisMirror(o =>
            {
                o.Configuration = redis;
                o.Channel = "psyche_events";
                o.SharedHistory = true;
            });
        }

        // --follow <ws or http url of another instance's stream>: show that instance's conversation instead of simulating one.
        if (builder.Configuration["Follow"] is { Length: > 0 })
        {
            builder.Services.AddHostedService<Follower>();
        }
        else
        {
            builder.Services.AddHostedService<Simulation>();
        }

        configure?.Invoke(builder);

        var app = builder.Build();
        app.UseWebSockets();
        app.UseDefaultFiles();
        app.UseStaticFiles();
        app.MapEventWebSocket("/ws/events");
        app.MapEventStream("/events");
        app.MapEventManagerClient();
        app.MapGet("/api/info", (WebSocketEventManager manager, IOptions<SimulationOptions> options) => Results.Json(new
        {
            instance = manager.InstanceId,
            agents = options.Value.Agents,
            rate = options.Value.Rate,
            seed = options.Value.Seed,
            redis = !string.IsNullOrEmpty(app.Configuration["Redis"]),
            follows = app.Configuration["Follow"],
        }));
        return app;
    }
}
