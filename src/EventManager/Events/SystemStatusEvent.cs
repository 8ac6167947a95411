using System.Text.Json;
using EventManager.Serialization;

namespace EventManager;

/// <summary>A report of the system's health. Event type <c>system_status</c>.</summary>
public sealed record SystemStatusEvent : WebSocketEvent
{
    internal const string Type = "system_status";

    /// <summary>The key of the CPU figure, in percent, that <see cref="PerformanceMetrics"/> must hold.</summary>
    public const string CpuPercent = "cpu_percent";

    /// <summary>The key of the memory figure, in percent, that <see cref="PerformanceMetrics"/> must hold.</summary>
    public const string MemoryPercent = "memory_percent";

    /// <summary>Creates the event.</summary>
    /// <param name="healthStatus">The health. Written as <c>data.health_status</c>.</param>
    /// <param name="performanceMetrics">Figures by name; must hold <see cref="CpuPercent"/> and <see cref="MemoryPercent"/>, all finite. Written as <c>data.performance_metrics</c>.</param>
    /// <param name="activeAgents">Agents currently active; not negative. Written as <c>data.active_agents</c>.</param>
    /// <param name="errorCount">Errors counted; not negative. Written as <c>data.error_count</c>.</param>
    /// <param name="metadata">Further fields; none when omitted. Written as <c>data.metadata</c>.</param>
    /// <exception cref="ArgumentException">An argument breaks one of the rules above.</exception>
    public SystemStatusEvent(
        SystemHealthStatus healthStatus,
        IReadOnlyDictionary<string, double> performanceMetrics,
        int activeAgents,
        int errorCount,
        IReadOnlyDictionary<string, JsonElement>? metadata = null)
        : base(Type)
    {
        ArgumentNullException.ThrowIfNull(performanceMetrics);
        ArgumentOutOfRangeException.ThrowIfNegative(activeAgents);
        ArgumentOutOfRangeException.ThrowIfNegative(errorCount);
        if (!performanceMetrics.ContainsKey(CpuPercent) || !performanceMetrics.ContainsKey(MemoryPercent))
        {
            throw new ArgumentException($"The metrics must include '{CpuPercent}' and '{MemoryPercent}'.", nameof(performanceMetrics));
        }

        var metrics = new Dictionary<string, double>(performanceMetrics.Count, StringComparer.Ordinal);
        foreach (var (name, value) in performanceMetrics)
        {
            if (string.IsNullOrWhiteSpace(name) || !double.IsFinite(value))
            {
                throw new ArgumentException($"The metric '{name}' must have a name and a finite value.", nameof(performanceMetrics));
            }

            metrics[name] = value;
        }

        HealthStatus = Guard.Defined(healthStatus, nameof(healthStatus));
        PerformanceMetrics = metrics;
        ActiveAgents = activeAgents;
        ErrorCount = errorCount;
        Metadata = EventData.Copy(metadata);
    }

    /// <summary>The health.</summary>
    public SystemHealthStatus HealthStatus { get; }

    /// <summary>Figures by name, including <see cref="CpuPercent"/> and <see cref="MemoryPercent"/>.</summary>
    public IReadOnlyDictionary<string, double> PerformanceMetrics { get; }

    /// <summary>Agents currently active.</summary>
    public int ActiveAgents { get; }

    /// <summary>Errors counted.</summary>
    public int ErrorCount { get; }

    /// <summary>Further fields.</summary>
    public IReadOnlyDictionary<string, JsonElement> Metadata { get; }

    /// <summary>Compares the envelope and every data field by value.</summary>
    /// <param name="other">The other event.</param>
    /// <returns>Whether they are equal.</returns>
    public bool Equals(SystemStatusEvent? other) =>
        base.Equals(other)
        && HealthStatus == other.HealthStatus
        && JsonEquality.Equal(PerformanceMetrics, other.PerformanceMetrics)
        && ActiveAgents == other.ActiveAgents
        && ErrorCount == other.ErrorCount
        && JsonEquality.Equal(Metadata, other.Metadata);

    /// <inheritdoc />
    public override int GetHashCode() => base.GetHashCode();

    private protected override void WriteData(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        writer.WriteString("health_status", EnumText.Of(HealthStatus));
        writer.WritePropertyName("performance_metrics");
        JsonSerializer.Serialize(writer, PerformanceMetrics, EventJsonContext.Default.IReadOnlyDictionaryStringDouble);
        writer.WriteNumber("active_agents", ActiveAgents);
        writer.WriteNumber("error_count", ErrorCount);
        EventJson.WriteObject(writer, "metadata", Metadata);
        writer.WriteEndObject();
    }

    internal static SystemStatusEvent ReadData(JsonElement data)
    {
        var health = EventJson.RequiredEnum(data, "health_status", "data.health_status", EnumText.ParseHealthStatus);
        var metricsElement = EventJson.RequiredProperty(data, "performance_metrics", "data.performance_metrics", JsonValueKind.Object);
        var metrics = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var metric in metricsElement.EnumerateObject())
        {
            metrics[metric.Name] = EventJson.RequiredNumber(metricsElement, metric.Name, "data.performance_metrics." + metric.Name);
        }

        foreach (var required in (ReadOnlySpan<string>)[CpuPercent, MemoryPercent])
        {
            if (!metrics.ContainsKey(required))
            {
                throw new EventFormatException("data.performance_metrics." + required, "the field is required.");
            }
        }

        var activeAgents = EventJson.RequiredCount(data, "active_agents", "data.active_agents");
        var errorCount = EventJson.RequiredCount(data, "error_count", "data.error_count");
        var metadata = EventJson.OptionalFields(data, "metadata", "data.metadata");
        return EventJson.Construct("data", () => new SystemStatusEvent(health, metrics, activeAgents, errorCount, metadata));
    }
}
