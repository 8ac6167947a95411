namespace EventManager.Sockets;

/// <summary>What a <see cref="WebSocketBroadcaster"/> does with a client whose send queue is full.</summary>
public enum SlowClientPolicy
{
    /// <summary>Drop the client's oldest queued events and tell it how many in a <c>gap</c> frame before the next events.</summary>
    DropOldest,

    /// <summary>Close the client with <see cref="EventSocketCloseCodes.SlowConsumer"/>.</summary>
    Disconnect,
}
