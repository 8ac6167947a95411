namespace EventManager;

/// <summary>Settings of a <see cref="SystemStatusReporter"/>. Thresholds are percentages; a reading at or above one applies it.</summary>
public sealed class StatusReporterOptions : IValidatable
{
    /// <summary>How often a report is published. Default 5 seconds; at least 10 milliseconds.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>CPU use, in percent of all cores, from which the status is <see cref="SystemHealthStatus.Warning"/>. Default 75.</summary>
    public double CpuWarningPercent { get; set; } = 75;

    /// <summary>CPU use, in percent of all cores, from which the status is <see cref="SystemHealthStatus.Error"/>. Default 90.</summary>
    public double CpuErrorPercent { get; set; } = 90;

    /// <summary>Working set, in percent of the memory available to the process, from which the status is <see cref="SystemHealthStatus.Warning"/>. Default 75.</summary>
    public double MemoryWarningPercent { get; set; } = 75;

    /// <summary>Working set, in percent of the memory available to the process, from which the status is <see cref="SystemHealthStatus.Error"/>. Default 90.</summary>
    public double MemoryErrorPercent { get; set; } = 90;

    /// <summary>Supplies <c>active_agents</c>. Default <see langword="null"/>: 0.</summary>
    public Func<int>? ActiveAgents { get; set; }

    /// <summary>Extra fields added to each report's <c>metadata</c>, beside <c>instance_id</c>. Default none.</summary>
    public IReadOnlyDictionary<string, object?>? Metadata { get; set; }

    void IValidatable.Validate() => Validate();

    internal void Validate()
    {
        if (Interval < TimeSpan.FromMilliseconds(10))
        {
            throw new ArgumentOutOfRangeException(nameof(Interval), Interval, $"{nameof(StatusReporterOptions)}.{nameof(Interval)} must be at least 10 ms.");
        }

        CheckPair(CpuWarningPercent, CpuErrorPercent, nameof(CpuWarningPercent), nameof(CpuErrorPercent));
        CheckPair(MemoryWarningPercent, MemoryErrorPercent, nameof(MemoryWarningPercent), nameof(MemoryErrorPercent));
    }

    private static void CheckPair(double warning, double error, string warningName, string errorName)
    {
        if (!(warning > 0 && warning <= 100))
        {
            throw new ArgumentOutOfRangeException(warningName, warning, $"{nameof(StatusReporterOptions)}.{warningName} must be above 0 and at most 100.");
        }

        if (!(error >= warning && error <= 100))
        {
            throw new ArgumentOutOfRangeException(errorName, error, $"{nameof(StatusReporterOptions)}.{errorName} must be between {warningName} and 100.");
        }
    }
}
