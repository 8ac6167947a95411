using System.Diagnostics.Metrics;
using EventManager;
using EventManager.Health;
using EventManager.Status;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the event manager and its status reporter.</summary>
public static class EventManagerServiceCollectionExtensions
{
    /// <summary>
    /// Registers a singleton <see cref="WebSocketEventManager"/> configured through <see cref="IOptions{TOptions}"/> of
    /// <see cref="EventManagerOptions"/>. Calling it again adds configuration, not another manager. Invalid options
    /// throw <see cref="OptionsValidationException"/> when the host starts (or, without a host, when the manager is first
    /// resolved). The container disposes the manager.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Sets options; optional.</param>
    /// <returns>A builder for further parts such as <see cref="AddStatusReporter"/>.</returns>
    public static EventManagerBuilder AddWebSocketEventManager(this IServiceCollection services, Action<EventManagerOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<EventManagerOptions>().ValidateOnStart();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.PostConfigure<IServiceProvider>((o, provider) => o.TimeProvider ??= provider.GetService<TimeProvider>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<EventManagerOptions>, OptionsValidator<EventManagerOptions>>());
        services.TryAddSingleton(provider => new WebSocketEventManager(
            provider.GetRequiredService<IOptions<EventManagerOptions>>().Value,
            provider.GetService<ILogger<WebSocketEventManager>>(),
            provider.GetService<IMeterFactory>()));
        HealthCheckParts.Register(services, EventManagerHealthCheck.Name, provider => new EventManagerHealthCheck(
            provider.GetRequiredService<WebSocketEventManager>(),
            provider.GetRequiredService<IOptions<EventManagerHealthCheckOptions>>().Value));
        return new EventManagerBuilder(services);
    }

    /// <summary>
    /// Adds a <see cref="SystemStatusReporter"/> that publishes <c>system_status</c> events at an interval while the host runs.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="configure">Sets options; optional.</param>
    /// <returns>The builder.</returns>
    public static EventManagerBuilder AddStatusReporter(this EventManagerBuilder builder, Action<StatusReporterOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = builder.Services.AddOptions<StatusReporterOptions>().ValidateOnStart();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<StatusReporterOptions>, OptionsValidator<StatusReporterOptions>>());
        builder.Services.TryAddSingleton(provider => new SystemStatusReporter(
            provider.GetRequiredService<WebSocketEventManager>(),
            provider.GetRequiredService<IOptions<StatusReporterOptions>>().Value,
            provider.GetService<ILogger<SystemStatusReporter>>()));
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, StatusReporterHostedService>());
        return builder;
    }
}
