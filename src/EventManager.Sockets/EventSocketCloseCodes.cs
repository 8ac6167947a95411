namespace EventManager.Sockets;

/// <summary>The WebSocket close codes the broadcaster uses; <c>docs/protocol.md</c> lists when each is sent.</summary>
public static class EventSocketCloseCodes
{
    /// <summary>1000: the client or the application ended the connection.</summary>
    public const int Normal = 1000;

    /// <summary>1001: the server is shutting down.</summary>
    public const int GoingAway = 1001;

    /// <summary>1003: the client sent a binary frame; the protocol is JSON text.</summary>
    public const int UnsupportedData = 1003;

    /// <summary>1008: the client sent frames faster than <see cref="WebSocketBroadcasterOptions.MaxFramesPerSecond"/>.</summary>
    public const int PolicyViolation = 1008;

    /// <summary>1009: the client sent a frame longer than <see cref="WebSocketBroadcasterOptions.MaxFrameBytes"/>.</summary>
    public const int MessageTooBig = 1009;

    /// <summary>1013: too many clients, in total or in the session; try again later.</summary>
    public const int TryAgainLater = 1013;

    /// <summary>4001: the client fell too far behind (its send queue overflowed under <see cref="SlowClientPolicy.Disconnect"/>, or one send took longer than <see cref="WebSocketBroadcasterOptions.SendTimeout"/>).</summary>
    public const int SlowConsumer = 4001;
}
