namespace EventManager.Sockets;

/// <summary>A connected client as the broadcaster tracks it, whatever its transport.</summary>
internal interface ISocketClient
{
    ClientConnection Connection { get; }

    /// <summary>Starts closing the client, from any thread; returns at once.</summary>
    void BeginClose(int closeCode, string reason);
}
