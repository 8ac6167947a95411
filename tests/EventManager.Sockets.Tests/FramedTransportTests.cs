using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using EventManager.Sockets;
using EventManager.Tests.Support;

namespace EventManager.Sockets.Tests;

/// <summary>
/// Frames the sender writes to the connection itself, read by .NET's own client WebSocket over a real loopback TCP connection:
/// the header for every length class, and whole frames beside the server socket's own frames on the same connection.
/// </summary>
public sealed class FramedTransportTests
{
    [TestCase(0)]
    [TestCase(1)]
    [TestCase(125)]
    [TestCase(126)]
    [TestCase(127)]
    [TestCase(65_535)]
    [TestCase(65_536)]
    [TestCase(200_000)]
    public async Task WriteTextFrameAsync_PayloadOfEachLengthClass_ArrivesAsOneWholeTextMessage(int length)
    {
        await using var pair = await Connection.CreateAsync(transport => transport);
        var payload = Payload(length, seed: length);

        var receiving = pair.ReceiveAsync();
        await Eventually.Within(pair.Transport.WriteTextFrameAsync(Framed(payload)).AsTask(), "the frame is written");
        var (type, received) = await Eventually.Within(receiving, "the frame arrives");

        Assert.Multiple(() =>
        {
            Assert.That(type, Is.EqualTo(WebSocketMessageType.Text));
            Assert.That(received, Is.EqualTo(payload));
        });
    }

    [Test]
    public async Task WriteTextFrameAsync_BesideTheSocketsOwnFramesOnAStreamThatWritesInPieces_KeepsEveryFrameWhole()
    {
        // Kestrel's transport is a pipe that takes one writer at a time; this stream makes a frame written by two writers at once
        // come out interleaved, as such a pipe would corrupt it.
        await using var pair = await Connection.CreateAsync(transport => new PiecewiseStream(transport));
        const int Frames = 300;

        var data = Task.Run(async () =>
        {
            for (var i = 0; i < Frames; i++)
            {
                await pair.Transport.WriteTextFrameAsync(Framed(Payload(1_000, seed: i)));
            }
        });
        var control = Task.Run(async () =>
        {
            for (var i = 0; i < Frames; i++)
            {
                await pair.Server.SendAsync(Payload(1_000, seed: -1 - i), WebSocketMessageType.Binary, endOfMessage: true, CancellationToken.None);
            }
        });

        var text = new List<byte[]>();
        var binary = new List<byte[]>();
        while (text.Count + binary.Count < 2 * Frames)
        {
            var (type, received) = await Eventually.Within(pair.ReceiveAsync(), "the next frame arrives");
            (type == WebSocketMessageType.Text ? text : binary).Add(received);
        }

        await Eventually.Within(Task.WhenAll(data, control), "both writers finish");
        Assert.Multiple(() =>
        {
            Assert.That(text, Is.EqualTo(Enumerable.Range(0, Frames).Select(i => Payload(1_000, seed: i))), "the frames written to the transport");
            Assert.That(binary, Is.EqualTo(Enumerable.Range(0, Frames).Select(i => Payload(1_000, seed: -1 - i))), "the socket's own frames");
        });
    }

    [Test]
    public async Task WriteTextFrameAsync_AfterTheSocketWroteItsCloseFrame_IsRefused()
    {
        await using var pair = await Connection.CreateAsync(transport => transport);
        await Eventually.Within(pair.Server.CloseOutputAsync(WebSocketCloseStatus.ProtocolError, null, CancellationToken.None), "the close frame is written");

        Assert.ThrowsAsync<InvalidOperationException>(async () => await pair.Transport.WriteTextFrameAsync(Framed(Payload(10, seed: 1))));
        var (type, _) = await Eventually.Within(pair.ReceiveAsync(), "the close frame arrives");
        Assert.That(type, Is.EqualTo(WebSocketMessageType.Close), "nothing came before or instead of the close frame");
    }

    /// <summary>Valid UTF-8 text (ASCII letters) of the length, different for each seed.</summary>
    private static byte[] Payload(int length, int seed)
    {
        var random = new Random(seed);
        var bytes = new byte[length];
        for (var i = 0; i < length; i++)
        {
            bytes[i] = (byte)('a' + random.Next(26));
        }

        return bytes;
    }

    /// <summary>The payload behind the room the transport writes its header into.</summary>
    private static Memory<byte> Framed(byte[] payload)
    {
        var frame = new byte[FramedTransport.HeaderRoom + payload.Length];
        payload.CopyTo(frame, FramedTransport.HeaderRoom);
        return frame;
    }

    /// <summary>A server socket over a <see cref="FramedTransport"/> and .NET's client socket, joined by loopback TCP.</summary>
    private sealed class Connection : IAsyncDisposable
    {
        private readonly TcpClient _client;
        private readonly Socket _accepted;
        private readonly WebSocket _reader;
        private readonly byte[] _buffer = new byte[256 * 1024];

        private Connection(TcpClient client, Socket accepted, Func<Stream, Stream> wrap)
        {
            _client = client;
            _accepted = accepted;
            (Server, Transport) = FramedTransport.CreateServerSocket(wrap(new NetworkStream(accepted, ownsSocket: false)), accepted.Close, TimeSpan.Zero, Timeout.InfiniteTimeSpan);
            _reader = WebSocket.CreateFromStream(client.GetStream(), new WebSocketCreationOptions { IsServer = false, KeepAliveInterval = TimeSpan.Zero });
        }

        public FramedTransport Transport { get; }

        public WebSocket Server { get; }

        public static async Task<Connection> CreateAsync(Func<Stream, Stream> wrap)
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var client = new TcpClient();
            var accepting = listener.AcceptSocketAsync();
            await client.ConnectAsync((IPEndPoint)listener.LocalEndpoint);
            return new Connection(client, await accepting, wrap);
        }

        /// <summary>The next whole message the client reads.</summary>
        public async Task<(WebSocketMessageType Type, byte[] Payload)> ReceiveAsync()
        {
            var length = 0;
            ValueWebSocketReceiveResult result;
            do
            {
                result = await _reader.ReceiveAsync(_buffer.AsMemory(length), CancellationToken.None);
                length += result.Count;
            }
            while (!result.EndOfMessage);

            return (result.MessageType, _buffer[..length]);
        }

        public ValueTask DisposeAsync()
        {
            Server.Dispose();
            _reader.Dispose();
            _accepted.Dispose();
            _client.Dispose();
            return ValueTask.CompletedTask;
        }
    }

    /// <summary>Writes each buffer in two halves with a yield between, so two unsynchronised writers interleave.</summary>
    private sealed class PiecewiseStream(Stream inner) : NonSeekableStream
    {
        public override bool CanRead => true;

        public override bool CanWrite => true;

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var half = buffer.Length / 2;
            await inner.WriteAsync(buffer[..half], cancellationToken);
            await Task.Yield();
            await inner.WriteAsync(buffer[half..], cancellationToken);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

        public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override void Flush() => inner.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
