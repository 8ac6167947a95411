using EventManager.Sockets;
using Microsoft.Extensions.Hosting;

namespace EventManager.AspNetCore;

/// <summary>
/// Closes every socket client (1001) as soon as the host begins to stop. Hosted services stop after Kestrel has started
/// waiting for open requests to finish, and a WebSocket request finishes only when its client is closed, so the closing
/// starts from <see cref="IHostApplicationLifetime.ApplicationStopping"/>.
/// </summary>
internal sealed class BroadcasterHostedService(WebSocketBroadcaster broadcaster, IHostApplicationLifetime lifetime) : IHostedService, IDisposable
{
    private CancellationTokenRegistration _stopping;
    private Task _closing = Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _stopping = lifetime.ApplicationStopping.Register(() => _closing = broadcaster.DisposeAsync().AsTask());
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _closing.ConfigureAwait(false);
        await broadcaster.DisposeAsync().ConfigureAwait(false);
    }

    public void Dispose() => _stopping.Dispose();
}
