using System.Text.Json;
using EventManager.Serialization;

namespace EventManager;

/// <summary>An agent sent a message. Event type <c>agent_message</c>.</summary>
public sealed record AgentMessageEvent : WebSocketEvent
{
    internal const string Type = "agent_message";

    /// <summary>Creates the event.</summary>
    /// <param name="agentId">The id of the agent that spoke; not empty. Written as <c>data.agent_id</c>.</param>
    /// <param name="agentType">The kind of agent, such as <c>CognitivePsychologist</c>; not empty. Written as <c>data.agent_type</c>.</param>
    /// <param name="message">The text of the message. Written as <c>data.message</c>.</param>
    /// <param name="sentiment">The sentiment of the message; <see cref="Sentiment.Neutral"/> when omitted. Written as <c>data.sentiment</c>.</param>
    /// <param name="metadata">Further fields; none when omitted. Written as <c>data.metadata</c>.</param>
    /// <exception cref="ArgumentException">An id or type is empty or the message is <see langword="null"/>.</exception>
    public AgentMessageEvent(
        string agentId,
        string agentType,
        string message,
        Sentiment? sentiment = null,
        IReadOnlyDictionary<string, JsonElement>? metadata = null)
        : base(Type)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(agentId);
        ArgumentException.ThrowIfNullOrWhiteSpace(agentType);
        ArgumentNullException.ThrowIfNull(message);
        AgentId = agentId;
        AgentType = agentType;
        Message = message;
        Sentiment = sentiment ?? Sentiment.Neutral;
        Metadata = EventData.Copy(metadata);
    }

    /// <summary>The id of the agent that spoke.</summary>
    public string AgentId { get; }

    /// <summary>The kind of agent.</summary>
    public string AgentType { get; }

    /// <summary>The text of the message.</summary>
    public string Message { get; }

    /// <summary>The sentiment of the message.</summary>
    public Sentiment Sentiment { get; }

    /// <summary>Further fields, such as an interaction count.</summary>
    public IReadOnlyDictionary<string, JsonElement> Metadata { get; }

    /// <summary>Compares the envelope and every data field, metadata by JSON value.</summary>
    /// <param name="other">The other event.</param>
    /// <returns>Whether they are equal.</returns>
    public bool Equals(AgentMessageEvent? other) =>
        base.Equals(other)
        && AgentId == other.AgentId
        && AgentType == other.AgentType
        && Message == other.Message
        && Sentiment == other.Sentiment
        && JsonEquality.Equal(Metadata, other.Metadata);

    /// <inheritdoc />
    public override int GetHashCode() => base.GetHashCode();

    private protected override void WriteData(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        writer.WriteString("agent_id", AgentId);
        writer.WriteString("agent_type", AgentType);
        writer.WriteString("message", Message);
        writer.WritePropertyName("sentiment");
        JsonSerializer.Serialize(writer, Sentiment, EventJsonContext.Default.Sentiment);
        EventJson.WriteObject(writer, "metadata", Metadata);
        writer.WriteEndObject();
    }

    internal static AgentMessageEvent ReadData(JsonElement data)
    {
        var agentId = EventJson.RequiredString(data, "agent_id", "data.agent_id");
        var agentType = EventJson.RequiredString(data, "agent_type", "data.agent_type");
        var message = EventJson.RequiredString(data, "message", "data.message", allowEmpty: true);
        var sentiment = Sentiment.Neutral;
        if (EventJson.TryGetOptional(data, "sentiment", "data.sentiment", JsonValueKind.Object, out var s))
        {
            var score = EventJson.RequiredNumber(s, "score", "data.sentiment.score");
            var label = EventJson.RequiredEnum(s, "label", "data.sentiment.label", EnumText.ParseSentimentLabel);
            sentiment = EventJson.Construct("data.sentiment", () => new Sentiment(score, label));
        }

        var metadata = EventJson.OptionalFields(data, "metadata", "data.metadata");
        return EventJson.Construct("data", () => new AgentMessageEvent(agentId, agentType, message, sentiment, metadata));
    }
}
