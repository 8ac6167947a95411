using EventManager.Status;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace EventManager;

/// <summary>
/// Samples the process at an interval (CPU %, memory %, working set, GC heap, threads, handles), derives a
/// <see cref="SystemHealthStatus"/> from the thresholds in <see cref="StatusReporterOptions"/>, and publishes a
/// <c>system_status</c> event. The schedule runs on the manager's <see cref="WebSocketEventManager.TimeProvider"/>.
/// </summary>
/// <remarks>
/// The status is <see cref="SystemHealthStatus.Error"/> when CPU or memory is at or above its error threshold,
/// <see cref="SystemHealthStatus.Warning"/> when either is at or above its warning threshold or listener errors grew
/// since the previous report, and <see cref="SystemHealthStatus.Healthy"/> otherwise. Reports are published with
/// <see cref="WebSocketEventManager.TryPublish"/>, so a full queue skips a report instead of stalling the schedule.
/// </remarks>
public sealed class SystemStatusReporter : IAsyncDisposable
{
    private readonly WebSocketEventManager _manager;
    private readonly StatusReporterOptions _options;
    private readonly IProcessSampler _sampler;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;
    private long _lastErrorCount;
    private bool _started;

    /// <summary>Creates a reporter; call <see cref="Start"/> to begin the schedule.</summary>
    /// <param name="manager">Where reports are published.</param>
    /// <param name="options">The settings; defaults when <see langword="null"/>.</param>
    /// <param name="logger">Where failures are logged.</param>
    /// <exception cref="ArgumentException">An option is invalid; the exception names it.</exception>
    public SystemStatusReporter(WebSocketEventManager manager, StatusReporterOptions? options = null, ILogger<SystemStatusReporter>? logger = null)
        : this(manager, options, logger, new ProcessSampler())
    {
    }

    internal SystemStatusReporter(WebSocketEventManager manager, StatusReporterOptions? options, ILogger? logger, IProcessSampler sampler)
    {
        ArgumentNullException.ThrowIfNull(manager);
        options ??= new StatusReporterOptions();
        options.Validate();
        _manager = manager;
        _options = options;
        _sampler = sampler;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>Starts publishing a report every <see cref="StatusReporterOptions.Interval"/>; the first after one interval. Calling it again does nothing.</summary>
    public void Start()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_stop.IsCancellationRequested, this);
            if (_started)
            {
                return;
            }

            _started = true;
            _loop = RunAsync(_stop.Token);
        }
    }

    /// <summary>Samples the process and publishes a report now.</summary>
    /// <returns>The published report, or <see langword="null"/> when the manager's queue had no room.</returns>
    /// <exception cref="ObjectDisposedException">The manager is disposed.</exception>
    public SystemStatusEvent? ReportNow()
    {
        var sample = _sampler.Sample();
        var errors = _manager.GetMetrics().ListenerErrors;
        var newErrors = errors - Interlocked.Exchange(ref _lastErrorCount, errors);
        var status = Evaluate(sample, newErrors, _options);
        var metrics = new Dictionary<string, double>
        {
            [SystemStatusEvent.CpuPercent] = Math.Round(sample.CpuPercent, 2),
            [SystemStatusEvent.MemoryPercent] = Math.Round(sample.MemoryPercent, 2),
            ["working_set_bytes"] = sample.WorkingSetBytes,
            ["gc_heap_bytes"] = sample.GcHeapBytes,
            ["thread_count"] = sample.ThreadCount,
            ["handle_count"] = sample.HandleCount,
        };
        var metadata = new Dictionary<string, object?>(_options.Metadata ?? new Dictionary<string, object?>())
        {
            ["instance_id"] = _manager.InstanceId,
        };
        var report = new SystemStatusEvent(
            status,
            metrics,
            _options.ActiveAgents?.Invoke() ?? 0,
            (int)Math.Min(errors, int.MaxValue),
            EventData.FromObject(metadata, nameof(StatusReporterOptions.Metadata)))
        {
            Timestamp = _manager.TimeProvider.GetUtcNow(),
        };
        return _manager.TryPublish(report) ? report : null;
    }

    /// <summary>Stops the schedule and waits for a report in progress.</summary>
    /// <returns>A task that completes when the reporter has stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        Task loop;
        lock (_gate)
        {
            if (_stop.IsCancellationRequested)
            {
                return;
            }

            _stop.Cancel();
            loop = _loop;
        }

        await loop.ConfigureAwait(false);
        (_sampler as IDisposable)?.Dispose();
        _stop.Dispose();
    }

    internal static SystemHealthStatus Evaluate(ProcessSample sample, long newErrors, StatusReporterOptions options)
    {
        if (sample.CpuPercent >= options.CpuErrorPercent || sample.MemoryPercent >= options.MemoryErrorPercent)
        {
            return SystemHealthStatus.Error;
        }

        if (sample.CpuPercent >= options.CpuWarningPercent || sample.MemoryPercent >= options.MemoryWarningPercent || newErrors > 0)
        {
            return SystemHealthStatus.Warning;
        }

        return SystemHealthStatus.Healthy;
    }

    private async Task RunAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(_options.Interval, _manager.TimeProvider);
        try
        {
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
            {
                try
                {
                    ReportNow();
                }
                catch (ObjectDisposedException)
                {
                    return;
                }
                catch (Exception ex)
                {
                    Log.StatusReportFailed(_logger, ex);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Disposed.
        }
    }
}
