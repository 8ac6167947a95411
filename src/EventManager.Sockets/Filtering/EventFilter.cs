using System.Text.Json;
using EventManager.Serialization;

namespace EventManager.Sockets;

/// <summary>
/// What a socket client receives: every condition that is set must hold (an unset one always does). The JSON form, given as the
/// <c>filter</c> query parameter, is the subscription filter of the event-streaming design:
/// <c>{"event_types":["tool_call","voice.*"],"session_id":"s-1","agent_ids":[...],"tool_names":[...],"statuses":[...],
/// "cost_threshold_tokens":100,"feature_ids":[...]}</c>. Conditions on data fields read <c>data.agent_id</c>,
/// <c>data.tool_name</c>, <c>data.status</c>, <c>data.cost_tokens</c> and <c>data.feature_id</c>; an event without the field
/// does not match that condition.
/// </summary>
public sealed class EventFilter
{
    private readonly IReadOnlyList<string>? _eventTypes;
    private readonly EventTypeFilter? _types;

    /// <summary>Event types as exact names, prefixes such as <c>voice.*</c>, or <c>*</c>. <see langword="null"/>: every type; empty: none.</summary>
    /// <exception cref="ArgumentException">A pattern is empty or has <c>*</c> anywhere but at its end.</exception>
    public IReadOnlyList<string>? EventTypes
    {
        get => _eventTypes;
        init
        {
            _types = value is null ? null : EventTypeFilter.Create(value, nameof(EventTypes));
            _eventTypes = value;
        }
    }

    /// <summary>Only events of this session. <see langword="null"/>: any session, and global events.</summary>
    public string? SessionId { get; init; }

    /// <summary>Only events whose <c>data.agent_id</c> is one of these.</summary>
    public IReadOnlyList<string>? AgentIds { get; init; }

    /// <summary>Only events whose <c>data.tool_name</c> is one of these.</summary>
    public IReadOnlyList<string>? ToolNames { get; init; }

    /// <summary>Only events whose <c>data.status</c> is one of these.</summary>
    public IReadOnlyList<string>? Statuses { get; init; }

    /// <summary>Only events whose <c>data.cost_tokens</c> is at least this.</summary>
    public double? CostThresholdTokens { get; init; }

    /// <summary>Only events whose <c>data.feature_id</c> is one of these.</summary>
    public IReadOnlyList<string>? FeatureIds { get; init; }

    /// <summary>A filter that lets every event through.</summary>
    public static EventFilter All { get; } = new();

    /// <summary>Parses the JSON form.</summary>
    /// <param name="json">A JSON object; unknown keys are rejected so a misspelt condition is not silently ignored.</param>
    /// <returns>The filter.</returns>
    /// <exception cref="EventFormatException">The JSON is malformed or a field has the wrong type; <see cref="EventFormatException.Field"/> names it.</exception>
    public static EventFilter Parse(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        if (!JsonText.SurrogatesArePaired(json))
        {
            throw new EventFormatException("filter", "the filter is not valid JSON: " + JsonText.UnpairedSurrogate);
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException ex)
        {
            throw new EventFormatException("filter", "the filter is not valid JSON (" + ex.Message + ")", ex);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new EventFormatException("filter", "expected a JSON object.");
            }

            List<string>? types = null, agents = null, tools = null, statuses = null, features = null;
            string? session = null;
            double? cost = null;
            foreach (var property in root.EnumerateObject())
            {
                switch (property.Name)
                {
                    case "event_types":
                        types = Strings(property);
                        break;
                    case "session_id":
                        session = property.Value.ValueKind switch
                        {
                            JsonValueKind.String => property.Value.GetString(),
                            JsonValueKind.Null => null,
                            _ => throw new EventFormatException("filter.session_id", "expected a string."),
                        };
                        break;
                    case "agent_ids":
                        agents = Strings(property);
                        break;
                    case "tool_names":
                        tools = Strings(property);
                        break;
                    case "statuses":
                        statuses = Strings(property);
                        break;
                    case "feature_ids":
                        features = Strings(property);
                        break;
                    case "cost_threshold_tokens":
                        cost = property.Value.ValueKind switch
                        {
                            JsonValueKind.Number => property.Value.GetDouble(),
                            JsonValueKind.Null => null,
                            _ => throw new EventFormatException("filter.cost_threshold_tokens", "expected a number."),
                        };
                        break;
                    default:
                        throw new EventFormatException("filter." + property.Name, "unknown condition; use event_types, session_id, agent_ids, tool_names, statuses, cost_threshold_tokens or feature_ids.");
                }
            }

            try
            {
                return new EventFilter
                {
                    EventTypes = types,
                    SessionId = string.IsNullOrEmpty(session) ? null : session,
                    AgentIds = agents,
                    ToolNames = tools,
                    Statuses = statuses,
                    CostThresholdTokens = cost,
                    FeatureIds = features,
                };
            }
            catch (ArgumentException ex)
            {
                throw new EventFormatException("filter.event_types", ex.Message.Split(" (Parameter")[0], ex);
            }
        }
    }

    /// <summary>Returns a copy with other event types, as a <c>subscribe</c> frame does.</summary>
    /// <param name="eventTypes">The new event types; <see langword="null"/> for every type.</param>
    /// <returns>The new filter.</returns>
    /// <exception cref="ArgumentException">A pattern is invalid.</exception>
    public EventFilter WithEventTypes(IReadOnlyList<string>? eventTypes) => new()
    {
        EventTypes = eventTypes,
        SessionId = SessionId,
        AgentIds = AgentIds,
        ToolNames = ToolNames,
        Statuses = Statuses,
        CostThresholdTokens = CostThresholdTokens,
        FeatureIds = FeatureIds,
    };

    /// <summary>Returns a copy restricted to one session, as an endpoint with a <c>{sessionId}</c> route value does.</summary>
    /// <param name="sessionId">The session.</param>
    /// <returns>The new filter.</returns>
    public EventFilter ForSession(string? sessionId) => string.IsNullOrEmpty(sessionId) ? this : new EventFilter
    {
        EventTypes = EventTypes,
        SessionId = sessionId,
        AgentIds = AgentIds,
        ToolNames = ToolNames,
        Statuses = Statuses,
        CostThresholdTokens = CostThresholdTokens,
        FeatureIds = FeatureIds,
    };

    /// <summary>Whether the event passes every condition that is set.</summary>
    /// <param name="evt">The event.</param>
    /// <returns>Whether it matches.</returns>
    public bool Matches(WebSocketEvent evt)
    {
        ArgumentNullException.ThrowIfNull(evt);
        if (_types is not null && !_types.Matches(evt.EventType))
        {
            return false;
        }

        if (SessionId is not null && !string.Equals(SessionId, evt.SessionId, StringComparison.Ordinal))
        {
            return false;
        }

        return (AgentIds is null || OneOf(evt, "agent_id", AgentIds))
            && (ToolNames is null || OneOf(evt, "tool_name", ToolNames))
            && (Statuses is null || OneOf(evt, "status", Statuses))
            && (FeatureIds is null || OneOf(evt, "feature_id", FeatureIds))
            && (CostThresholdTokens is not { } threshold
                || (EventFields.TryGet(evt, "cost_tokens", out var cost) && cost.ValueKind == JsonValueKind.Number && cost.GetDouble() >= threshold));
    }

    /// <summary>Writes the JSON form.</summary>
    /// <param name="writer">The writer.</param>
    public void WriteTo(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        WriteList(writer, "event_types", EventTypes);
        if (SessionId is not null)
        {
            writer.WriteString("session_id", SessionId);
        }

        WriteList(writer, "agent_ids", AgentIds);
        WriteList(writer, "tool_names", ToolNames);
        WriteList(writer, "statuses", Statuses);
        if (CostThresholdTokens is { } cost)
        {
            writer.WriteNumber("cost_threshold_tokens", cost);
        }

        WriteList(writer, "feature_ids", FeatureIds);
        writer.WriteEndObject();
    }

    private static void WriteList(Utf8JsonWriter writer, string name, IReadOnlyList<string>? values)
    {
        if (values is null)
        {
            return;
        }

        writer.WriteStartArray(name);
        foreach (var value in values)
        {
            writer.WriteStringValue(value);
        }

        writer.WriteEndArray();
    }

    private static bool OneOf(WebSocketEvent evt, string field, IReadOnlyList<string> values)
    {
        if (!EventFields.TryGet(evt, field, out var value) || value.ValueKind != JsonValueKind.String)
        {
            return false;
        }

        foreach (var candidate in values)
        {
            if (value.ValueEquals(candidate))
            {
                return true;
            }
        }

        return false;
    }

    private static List<string>? Strings(JsonProperty property)
    {
        var path = "filter." + property.Name;
        if (property.Value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (property.Value.ValueKind != JsonValueKind.Array)
        {
            throw new EventFormatException(path, "expected an array of strings.");
        }

        var list = new List<string>();
        var index = 0;
        foreach (var item in property.Value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(item.GetString()))
            {
                throw new EventFormatException($"{path}[{index}]", "expected a non-empty string.");
            }

            list.Add(item.GetString()!);
            index++;
        }

        return list;
    }
}
