using System.Diagnostics.Metrics;
using EventManager;
using EventManager.Redis;
using EventManager.Health;
using EventManager.Redis.DependencyInjection;
using EventManager.Redis.Health;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the Redis mirror.</summary>
public static class RedisMirrorBuilderExtensions
{
    /// <summary>
    /// Adds a singleton <see cref="RedisEventMirror"/> for the registered manager, started and stopped with the host. Inject it
    /// to read its <see cref="RedisEventMirror.Health"/> and metrics. Invalid options throw <see cref="OptionsValidationException"/>
    /// when the host starts. The mirror marks this instance's events with the manager's <see cref="EventManagerOptions.InstanceId"/>.
    /// </summary>
    /// <param name="builder">The builder from <c>AddWebSocketEventManager</c>.</param>
    /// <param name="configure">Sets options.</param>
    /// <returns>The builder.</returns>
    public static EventManagerBuilder AddRedisMirror(this EventManagerBuilder builder, Action<RedisMirrorOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        var services = builder.Services;
        services.AddOptions<RedisMirrorOptions>().Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RedisMirrorOptions>, OptionsValidator<RedisMirrorOptions>>());
        services.TryAddSingleton(provider => new RedisEventMirror(
            provider.GetRequiredService<WebSocketEventManager>(),
            provider.GetRequiredService<IOptions<RedisMirrorOptions>>().Value,
            provider.GetService<ILogger<RedisEventMirror>>(),
            provider.GetService<IMeterFactory>()));
        HealthCheckParts.Register(services, RedisMirrorHealthCheck.Name, provider => new RedisMirrorHealthCheck(
            provider.GetRequiredService<RedisEventMirror>(),
            provider.GetRequiredService<WebSocketEventManager>().TimeProvider,
            provider.GetRequiredService<IOptions<EventManagerHealthCheckOptions>>().Value));
        services.TryAddSingleton<ISharedEventHistory>(provider => provider.GetRequiredService<RedisEventMirror>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, RedisMirrorHostedService>());
        return builder;
    }
}
