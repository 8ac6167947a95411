namespace EventManager.Serialization;

/// <summary>The lower-case wire names of the public enums, without reflection.</summary>
internal static class EnumText
{
    public static string Of(SystemHealthStatus value) => value switch
    {
        SystemHealthStatus.Healthy => "healthy",
        SystemHealthStatus.Warning => "warning",
        _ => "error",
    };

    public static SystemHealthStatus? ParseHealthStatus(string text) => text switch
    {
        "healthy" => SystemHealthStatus.Healthy,
        "warning" => SystemHealthStatus.Warning,
        "error" => SystemHealthStatus.Error,
        _ => null,
    };

    public static SentimentLabel? ParseSentimentLabel(string text) => text switch
    {
        "positive" => SentimentLabel.Positive,
        "negative" => SentimentLabel.Negative,
        "neutral" => SentimentLabel.Neutral,
        _ => null,
    };

    public static ConnectionType? ParseConnectionType(string text) => text switch
    {
        "normal" => ConnectionType.Normal,
        "emergency" => ConnectionType.Emergency,
        _ => null,
    };
}
