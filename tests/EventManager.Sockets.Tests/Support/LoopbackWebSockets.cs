using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;

namespace EventManager.Tests.Support;

/// <summary>Two WebSockets joined by a real loopback TCP connection, for testing one side's parts directly.</summary>
internal sealed class LoopbackWebSockets : IAsyncDisposable
{
    private readonly TcpClient _client;
    private readonly Socket _server;

    private LoopbackWebSockets(TcpClient client, Socket server)
    {
        _client = client;
        _server = server;
        Server = WebSocket.CreateFromStream(new NetworkStream(server, ownsSocket: false), new WebSocketCreationOptions { IsServer = true, KeepAliveInterval = TimeSpan.Zero });
        Client = WebSocket.CreateFromStream(client.GetStream(), new WebSocketCreationOptions { IsServer = false, KeepAliveInterval = TimeSpan.Zero });
    }

    public WebSocket Server { get; }

    public WebSocket Client { get; }

    public static async Task<LoopbackWebSockets> CreateAsync()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var client = new TcpClient();
        var accepting = listener.AcceptSocketAsync();
        await client.ConnectAsync((IPEndPoint)listener.LocalEndpoint);
        return new LoopbackWebSockets(client, await accepting);
    }

    public ValueTask DisposeAsync()
    {
        Server.Dispose();
        Client.Dispose();
        _server.Dispose();
        _client.Dispose();
        return ValueTask.CompletedTask;
    }
}
