using Microsoft.Extensions.DependencyInjection;

namespace EventManager;

/// <summary>Returned by <c>AddWebSocketEventManager</c>; the Redis and ASP.NET Core packages add their own <c>AddXxx</c> methods to it.</summary>
public sealed class EventManagerBuilder
{
    internal EventManagerBuilder(IServiceCollection services) => Services = services;

    /// <summary>The service collection the manager is registered in.</summary>
    public IServiceCollection Services { get; }
}
