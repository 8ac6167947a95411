using Microsoft.Extensions.Hosting;

namespace EventManager.Status;

/// <summary>Runs the registered <see cref="SystemStatusReporter"/> for the lifetime of the host.</summary>
internal sealed class StatusReporterHostedService(SystemStatusReporter reporter) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        reporter.Start();
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken) => await reporter.DisposeAsync().ConfigureAwait(false);
}
