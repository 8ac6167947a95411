using EventManager;
using EventManager.Health;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the health checks of the event manager and its registered parts.</summary>
public static class EventManagerHealthChecksBuilderExtensions
{
    /// <summary>
    /// Registers one health check per registered part: <c>eventmanager</c> for the manager (<c>AddWebSocketEventManager</c>),
    /// <c>eventmanager.redis</c> for a Redis mirror (<c>AddRedisMirror</c>) and <c>eventmanager.sockets</c> for a socket
    /// broadcaster (<c>AddEventSockets</c>), whether those parts are registered before or after this call. Each result's data
    /// carries the figures it was judged by. Without a registered manager, or with invalid options, the host fails to start
    /// with an <see cref="OptionsValidationException"/>.
    /// </summary>
    /// <param name="builder">The builder from <c>AddHealthChecks()</c>.</param>
    /// <param name="configure">Sets the thresholds; optional.</param>
    /// <param name="tags">Tags for every check registered, to select them in <c>MapHealthChecks</c>; optional. Calling the method again adds its tags to the same checks.</param>
    /// <returns>The builder.</returns>
    public static IHealthChecksBuilder AddEventManager(this IHealthChecksBuilder builder, Action<EventManagerHealthCheckOptions>? configure = null, IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        var options = services.AddOptions<EventManagerHealthCheckOptions>().ValidateOnStart();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<EventManagerHealthCheckOptions>, OptionsValidator<EventManagerHealthCheckOptions>>());
        var tagList = tags?.ToArray() ?? [];
        services.AddOptions<HealthCheckServiceOptions>()
            .Configure(o => AddParts(o, services, tagList))
            .Validate(o => o.Registrations.Any(r => r.Name == EventManagerHealthCheck.Name), "AddEventManager() found no event manager: call services.AddWebSocketEventManager().")
            .ValidateOnStart();
        return builder;
    }

    // Runs when the health-check options are first built, after every registration, so the order of the calls does not matter.
    private static void AddParts(HealthCheckServiceOptions options, IServiceCollection services, string[] tags)
    {
        foreach (var descriptor in services)
        {
            if (descriptor is { IsKeyedService: true, ServiceKey: string key } && descriptor.ServiceType == typeof(IHealthCheck)
                && key.StartsWith(HealthCheckParts.KeyPrefix, StringComparison.Ordinal))
            {
                var name = key[HealthCheckParts.KeyPrefix.Length..];
                if (options.Registrations.FirstOrDefault(r => r.Name == name) is { } registered)
                {
                    // Called again, say once for liveness and once for readiness: the checks carry both calls' tags.
                    registered.Tags.UnionWith(tags);
                }
                else
                {
                    options.Registrations.Add(new HealthCheckRegistration(name, provider => provider.GetRequiredKeyedService<IHealthCheck>(key), failureStatus: null, tags));
                }
            }
        }
    }
}
