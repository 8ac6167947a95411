using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using EventManager.AspNetCore.Tests.Support;
using EventManager.Sockets;
using Microsoft.Extensions.Logging;

namespace EventManager.AspNetCore.Tests;

[TestFixture]
[CancelAfter(60_000)]
public sealed class LifecycleTests
{
    [Test]
    public async Task HostStop_ClosesEveryClientWithGoingAwayAndNoErrors()
    {
        var server = await EventServer.StartAsync();
        await using var ws = await WsClient.ConnectAsync(server.WsUri("/ws/events"));
        await using var sse = await SseClient.ConnectAsync(server.HttpUri("/events"));
        await ws.NextAsync("connected");
        await sse.NextAsync();

        await Eventually.Within(server.StopAsync(), "the host to stop", TimeSpan.FromSeconds(30));

        Assert.That(await ws.ClosedAsync(), Is.EqualTo(WebSocketCloseStatus.EndpointUnavailable));
        Assert.That(server.Logs.Where(l => l.Level >= LogLevel.Error).Select(l => l.Message), Is.Empty);
        await server.DisposeAsync();
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
    private sealed class SynchronousTransport(Action onFirstWrite) : Stream
    {
        private readonly TaskCompletionSource _inputEnded = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _writes;

        public override bool CanRead => true;

        public override bool CanWrite => true;

        public override bool CanSeek => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

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

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
