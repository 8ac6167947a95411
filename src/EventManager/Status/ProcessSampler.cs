using System.Diagnostics;

namespace EventManager.Status;

/// <summary>One reading of the process.</summary>
internal readonly record struct ProcessSample(
    double CpuPercent,
    double MemoryPercent,
    long WorkingSetBytes,
    long GcHeapBytes,
    int ThreadCount,
    int HandleCount);

internal interface IProcessSampler
{
    ProcessSample Sample();
}

/// <summary>Reads the current process. CPU is the share of all cores used since the previous reading.</summary>
internal sealed class ProcessSampler : IProcessSampler, IDisposable
{
    // CPU time is real, so it is divided by real elapsed time even when the reporter's schedule runs on a test clock.
    private readonly TimeProvider _clock = TimeProvider.System;
    private readonly Process _process = Process.GetCurrentProcess();
    private long _lastTimestamp;
    private TimeSpan _lastCpu;

    public ProcessSampler()
    {
        _lastTimestamp = _clock.GetTimestamp();
        _lastCpu = _process.TotalProcessorTime;
    }

    public ProcessSample Sample()
    {
        _process.Refresh();
        var now = _clock.GetTimestamp();
        var cpu = _process.TotalProcessorTime;
        var elapsed = _clock.GetElapsedTime(_lastTimestamp, now);
        var cpuPercent = elapsed > TimeSpan.Zero
            ? (cpu - _lastCpu).TotalMilliseconds / elapsed.TotalMilliseconds / Environment.ProcessorCount * 100
            : 0;
        _lastTimestamp = now;
        _lastCpu = cpu;

        var workingSet = _process.WorkingSet64;
        var available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        var memoryPercent = available > 0 ? (double)workingSet / available * 100 : 0;
        return new ProcessSample(
            Math.Clamp(cpuPercent, 0, 100),
            Math.Clamp(memoryPercent, 0, 100),
            workingSet,
            GC.GetTotalMemory(forceFullCollection: false),
            _process.Threads.Count,
            _process.HandleCount);
    }

    public void Dispose() => _process.Dispose();
}
