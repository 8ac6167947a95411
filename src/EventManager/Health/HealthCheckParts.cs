using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace EventManager.Health;

/// <summary>
/// How each package offers its health check to <c>AddEventManager</c>: its own registration adds a keyed
/// <see cref="IHealthCheck"/> under <see cref="KeyPrefix"/> and the check's name, and <c>AddEventManager</c> registers one
/// health check per such service, whichever order the calls came in. Shared source: compiled into each package.
/// </summary>
internal static class HealthCheckParts
{
    public const string KeyPrefix = "EventManager.HealthCheck:";

    public static void Register(IServiceCollection services, string name, Func<IServiceProvider, IHealthCheck> create)
        => services.TryAddKeyedSingleton(KeyPrefix + name, (provider, _) => create(provider));
}
