namespace EventManager;

/// <summary>What a full bounded queue does with one more event.</summary>
public enum OverflowPolicy
{
    /// <summary>
    /// Nothing is dropped: the writer waits for room. For the ingress queue, <see cref="WebSocketEventManager.PublishAsync"/>
    /// waits, <see cref="WebSocketEventManager.Publish"/> blocks and <see cref="WebSocketEventManager.TryPublish"/> returns
    /// <see langword="false"/>. For a listener queue, the dispatcher waits, which holds back every other listener until the
    /// slow one makes room.
    /// </summary>
    Wait,

    /// <summary>The oldest queued event is dropped and counted to make room.</summary>
    DropOldest,

    /// <summary>The event being added is dropped and counted; the queue keeps what it has.</summary>
    DropNewest,
}
