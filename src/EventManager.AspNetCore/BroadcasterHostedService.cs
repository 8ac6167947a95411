using EventManager.Sockets;
using Microsoft.Extensions.Hosting;

namespace EventManager.AspNetCore;

/// <summary>Closes every socket client (1001) when the host stops, before Kestrel waits for open requests to finish.</summary>
internal sealed class BroadcasterHostedService(WebSocketBroadcaster broadcaster) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StopAsync(CancellationToken cancellationToken) => await broadcaster.DisposeAsync().ConfigureAwait(false);
}
