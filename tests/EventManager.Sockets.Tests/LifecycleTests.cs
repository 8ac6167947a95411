using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using EventManager.Sockets;
using Microsoft.Extensions.Logging;

namespace EventManager.Sockets.Tests;

[TestFixture]
public sealed class LifecycleTests
{
    [Test]
    public async Task Broadcaster_OverAWebSocketWithoutAspNetCore_RunsTheProtocol()
    {
        await using var manager = new WebSocketEventManager();
        await using var broadcaster = new WebSocketBroadcaster(manager);
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var clientTcp = new TcpClient();
        await clientTcp.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port);
        using var serverTcp = await listener.AcceptTcpClientAsync();
        using var serverSocket = WebSocket.CreateFromStream(serverTcp.GetStream(), new WebSocketCreationOptions { IsServer = true });
        using var clientSocket = WebSocket.CreateFromStream(clientTcp.GetStream(), new WebSocketCreationOptions { IsServer = false });

        var running = broadcaster.ConnectClientAsync(serverSocket, new ClientConnectionOptions { BatchWindow = TimeSpan.Zero });
        var connected = await ReceiveAsync(clientSocket);
        manager.Publish(new CustomEvent("plain.socket"));
        var evt = await ReceiveAsync(clientSocket);
        await clientSocket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        await Eventually.Within(running, "the client to leave");

        Assert.That(connected, Does.Contain("\"type\":\"connected\""));
        Assert.That(evt, Does.Contain("\"event_type\":\"plain.socket\""));
        Assert.That(broadcaster.ClientCount, Is.Zero);
    }

    [Test]
    public async Task Broadcaster_Disposed_ClosesClientsWithGoingAway()
    {
        await using var server = SocketHost.Start();
        await using var client = await server.ConnectAsync();
        await client.NextAsync("connected");

        await server.Broadcaster.DisposeAsync();

        Assert.That(await client.ClosedAsync(), Is.EqualTo(WebSocketCloseStatus.EndpointUnavailable));
        Assert.That(server.Broadcaster.ClientCount, Is.Zero);
    }

    [Test]
    public async Task ConnectClientAsync_WhileConnectedFrameIsWritten_ClientIsCountedAndListed()
    {
        await using var manager = new WebSocketEventManager();
        await using var broadcaster = new WebSocketBroadcaster(manager);
        var seenAtFirstWrite = new TaskCompletionSource<(int Count, int Metric, IReadOnlyList<string> Ids)>(TaskCreationOptions.RunContinuationsAsynchronously);
        var transport = new SynchronousTransport(() => seenAtFirstWrite.TrySetResult((broadcaster.ClientCount, broadcaster.GetMetrics().ConnectedClients, broadcaster.GetClientIds())));
        using var socket = WebSocket.CreateFromStream(transport, new WebSocketCreationOptions { IsServer = true, KeepAliveInterval = Timeout.InfiniteTimeSpan });

        var running = broadcaster.ConnectClientAsync(socket);
        var seen = await Eventually.Within(seenAtFirstWrite.Task, "the connected frame to be written");
        transport.EndInput();
        await Eventually.Within(running, "the client to leave");

        Assert.Multiple(() =>
        {
            Assert.That(seen.Count, Is.EqualTo(1), nameof(WebSocketBroadcaster.ClientCount));
            Assert.That(seen.Metric, Is.EqualTo(1), nameof(BroadcasterMetrics.ConnectedClients));
            Assert.That(seen.Ids, Has.Count.EqualTo(1), nameof(WebSocketBroadcaster.GetClientIds));
        });
    }

    private static async Task<string> ReceiveAsync(WebSocket socket)
    {
        var buffer = new byte[16 * 1024];
        var result = await socket.ReceiveAsync(buffer, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        return System.Text.Encoding.UTF8.GetString(buffer, 0, result.Count);
    }

    /// <summary>
    /// A transport whose writes complete at once, so the broadcaster writes <c>connected</c> before its call returns; the test sees
    /// the broadcaster's state from inside that first write. Reads wait until <see cref="EndInput"/>, then report the end of input.
    /// </summary>
    private sealed class SynchronousTransport(Action onFirstWrite) : NonSeekableStream
    {
        private readonly TaskCompletionSource _inputEnded = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _writes;

        public override bool CanRead => true;

        public override bool CanWrite => true;

        public void EndInput() => _inputEnded.TrySetResult();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await _inputEnded.Task.WaitAsync(cancellationToken);
            return 0;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (Interlocked.Increment(ref _writes) == 1)
            {
                onFirstWrite();
            }

            return ValueTask.CompletedTask;
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("the broadcaster only reads asynchronously");

        public override void Flush()
        {
        }

        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
