using System.Text.Json.Serialization;

namespace EventManager;

/// <summary>The health of the system reported by a <see cref="SystemStatusEvent"/>.</summary>
public enum SystemHealthStatus
{
    /// <summary>Everything within limits. Written as <c>"healthy"</c>.</summary>
    [JsonStringEnumMemberName("healthy")] Healthy,

    /// <summary>A limit is close or something degraded. Written as <c>"warning"</c>.</summary>
    [JsonStringEnumMemberName("warning")] Warning,

    /// <summary>A limit is exceeded. Written as <c>"error"</c>.</summary>
    [JsonStringEnumMemberName("error")] Error,
}

/// <summary>The polarity of a <see cref="Sentiment"/>.</summary>
public enum SentimentLabel
{
    /// <summary>Written as <c>"positive"</c>.</summary>
    [JsonStringEnumMemberName("positive")] Positive,

    /// <summary>Written as <c>"negative"</c>.</summary>
    [JsonStringEnumMemberName("negative")] Negative,

    /// <summary>Written as <c>"neutral"</c>.</summary>
    [JsonStringEnumMemberName("neutral")] Neutral,
}

/// <summary>The kind of a <see cref="NetworkConnection"/>.</summary>
public enum ConnectionType
{
    /// <summary>An ordinary link. Written as <c>"normal"</c>.</summary>
    [JsonStringEnumMemberName("normal")] Normal,

    /// <summary>A link opened by emergency mode. Written as <c>"emergency"</c>.</summary>
    [JsonStringEnumMemberName("emergency")] Emergency,
}
