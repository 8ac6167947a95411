using EventManager;
using EventManager.AspNetCore;
using EventManager.Health;
using EventManager.Sockets;
using EventManager.Sockets.Health;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the socket endpoints' services.</summary>
public static class EventSocketServiceCollectionExtensions
{
    /// <summary>
    /// Registers a singleton <see cref="WebSocketBroadcaster"/> for the manager, used by <c>MapEventWebSocket</c> and
    /// <c>MapEventStream</c>, which closes every client with 1001 when the host stops. A registered
    /// <see cref="ISharedEventHistory"/> (the Redis mirror's) serves resumes this instance's history cannot. Invalid options throw
    /// <see cref="OptionsValidationException"/> when the host starts.
    /// </summary>
    /// <param name="builder">The builder from <c>AddWebSocketEventManager</c>.</param>
    /// <param name="configure">Sets options; optional.</param>
    /// <returns>The builder.</returns>
    public static EventManagerBuilder AddEventSockets(this EventManagerBuilder builder, Action<EventSocketOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        var options = services.AddOptions<EventSocketOptions>().ValidateOnStart();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<EventSocketOptions>, OptionsValidator<EventSocketOptions>>());
        services.TryAddSingleton(provider =>
        {
            var broadcaster = provider.GetRequiredService<IOptions<EventSocketOptions>>().Value.Broadcaster;
            broadcaster.SharedHistory ??= provider.GetService<ISharedEventHistory>();
            return new WebSocketBroadcaster(provider.GetRequiredService<WebSocketEventManager>(), broadcaster, provider.GetService<ILogger<WebSocketBroadcaster>>());
        });
        HealthCheckParts.Register(services, BroadcasterHealthCheck.Name, provider => new BroadcasterHealthCheck(
            provider.GetRequiredService<WebSocketBroadcaster>(),
            provider.GetRequiredService<IOptions<EventManagerHealthCheckOptions>>().Value));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, BroadcasterHostedService>());
        services.TryAddSingleton(provider => new MissingWebSocketMiddleware(provider.GetService<ILoggerFactory>()));
        return builder;
    }
}
