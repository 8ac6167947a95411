using Microsoft.Extensions.Hosting;

namespace EventManager.Redis.DependencyInjection;

/// <summary>Starts the registered <see cref="RedisEventMirror"/> with the host and stops it before the manager is disposed.</summary>
internal sealed class RedisMirrorHostedService(RedisEventMirror mirror) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => mirror.StartCoreAsync(cancellationToken);

    public async Task StopAsync(CancellationToken cancellationToken) => await mirror.DisposeAsync().ConfigureAwait(false);
}
