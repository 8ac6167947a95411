namespace EventManager;

/// <summary>The seed's publishing API: build a typed event from plain arguments and publish it in one call.</summary>
public sealed partial class WebSocketEventManager
{
    /// <summary>Publishes an <c>agent_message</c> event stamped with the manager's clock.</summary>
    /// <param name="agentId">The id of the agent that spoke; not empty.</param>
    /// <param name="agentType">The kind of agent; not empty.</param>
    /// <param name="message">The text of the message.</param>
    /// <param name="sentiment">The sentiment; neutral when omitted.</param>
    /// <param name="metadata">Further fields, any JSON-serialisable values.</param>
    /// <returns>The published event.</returns>
    /// <exception cref="ArgumentException">An argument is invalid; nothing is published.</exception>
    /// <exception cref="ObjectDisposedException">The manager is disposed.</exception>
    public AgentMessageEvent BroadcastAgentMessage(
        string agentId,
        string agentType,
        string message,
        Sentiment? sentiment = null,
        IReadOnlyDictionary<string, object?>? metadata = null)
    {
        var evt = new AgentMessageEvent(agentId, agentType, message, sentiment, EventData.FromObject(metadata, nameof(metadata)));
        Publish(Stamped(evt));
        return evt;
    }

    /// <summary>Publishes a <c>network_update</c> event stamped with the manager's clock.</summary>
    /// <param name="connections">The connections of the network.</param>
    /// <param name="communicationStats">Message counts by agent id.</param>
    /// <param name="eventType">What changed, written as <c>data.event_type</c>; <see cref="NetworkUpdateEvent.DefaultUpdateType"/> when omitted.</param>
    /// <param name="details">Further fields, any JSON-serialisable values.</param>
    /// <returns>The published event.</returns>
    /// <exception cref="ArgumentException">An argument is invalid; nothing is published.</exception>
    /// <exception cref="ObjectDisposedException">The manager is disposed.</exception>
    public NetworkUpdateEvent BroadcastNetworkUpdate(
        IReadOnlyList<NetworkConnection> connections,
        IReadOnlyDictionary<string, CommunicationStats>? communicationStats = null,
        string? eventType = null,
        IReadOnlyDictionary<string, object?>? details = null)
    {
        if (eventType is not null)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(eventType);
        }

        var evt = new NetworkUpdateEvent(connections, communicationStats, eventType, details is null ? null : EventData.FromObject(details, nameof(details)));
        Publish(Stamped(evt));
        return evt;
    }

    /// <summary>Publishes a <c>system_status</c> event stamped with the manager's clock.</summary>
    /// <param name="healthStatus">The health.</param>
    /// <param name="performanceMetrics">Figures by name, including <c>cpu_percent</c> and <c>memory_percent</c>.</param>
    /// <param name="activeAgents">Agents currently active; not negative.</param>
    /// <param name="errorCount">Errors counted; not negative.</param>
    /// <param name="metadata">Further fields, any JSON-serialisable values.</param>
    /// <returns>The published event.</returns>
    /// <exception cref="ArgumentException">An argument is invalid; nothing is published.</exception>
    /// <exception cref="ObjectDisposedException">The manager is disposed.</exception>
    public SystemStatusEvent BroadcastSystemStatus(
        SystemHealthStatus healthStatus,
        IReadOnlyDictionary<string, double> performanceMetrics,
        int activeAgents,
        int errorCount,
        IReadOnlyDictionary<string, object?>? metadata = null)
    {
        var evt = new SystemStatusEvent(healthStatus, performanceMetrics, activeAgents, errorCount, EventData.FromObject(metadata, nameof(metadata)));
        Publish(Stamped(evt));
        return evt;
    }

    /// <summary>Gives an event made by a <c>Broadcast</c> method this manager's time; it already has the system clock's.</summary>
    private WebSocketEvent Stamped(WebSocketEvent evt)
    {
        if (!ReferenceEquals(TimeProvider, TimeProvider.System))
        {
            evt.SetTimestamp(TimeProvider.GetUtcNow());
        }

        return evt;
    }
}
