using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text.Json;

namespace EventManager.Benchmarks.Sockets;

/// <summary>The report's clients.</summary>
internal static partial class SocketReport
{
    /// <summary>A client that counts the events in the frames it reads, and optionally their age on arrival.</summary>
    internal sealed class Reader : IAsyncDisposable
    {
        private readonly ClientWebSocket _socket;
        private readonly ConcurrentBag<double>? _latencies;
        private long _bytesRead;

        // Written by the read loop; the target and its signal are set by Expect, between bursts.
        private long _received;
        private long _target = long.MaxValue;
        private TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);

        private Reader(ClientWebSocket socket, ConcurrentBag<double>? latencies)
        {
            _socket = socket;
            _latencies = latencies;
        }

        public long BytesRead => Interlocked.Read(ref _bytesRead);

        /// <summary>Messages read, event-carrying or not.</summary>
        public int FramesRead { get; private set; }

        /// <summary>Completes once <paramref name="events"/> more events have arrived; fails if the connection ends first.</summary>
        public Task Expect(int events)
        {
            // The target is out of reach while the signal is swapped, so a frame read in between (a heartbeat) cannot complete
            // the new signal against the old target.
            var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Volatile.Write(ref _target, long.MaxValue);
            Volatile.Write(ref _reached, reached);
            Volatile.Write(ref _target, Interlocked.Read(ref _received) + events);
            return reached.Task;
        }

        public static async Task<Reader> ConnectAsync(Uri uri, ConcurrentBag<double>? latencies = null, bool compress = false)
        {
            var socket = new ClientWebSocket();
            if (compress)
            {
                socket.Options.DangerousDeflateOptions = new WebSocketDeflateOptions();
            }

            Reader? reader = null;
            using var handler = new SocketsHttpHandler
            {
                ConnectCallback = async (context, token) =>
                {
                    var tcp = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                    await tcp.ConnectAsync(context.DnsEndPoint, token);
                    return new CountingStream(new NetworkStream(tcp, ownsSocket: true), bytes => Interlocked.Add(ref reader!._bytesRead, bytes));
                },
            };
            reader = new Reader(socket, latencies);
            await socket.ConnectAsync(uri, new HttpMessageInvoker(handler, disposeHandler: false), CancellationToken.None);
            _ = reader.ReadAsync();
            return reader;
        }

        public async ValueTask DisposeAsync()
        {
            try
            {
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
            }
            catch (WebSocketException)
            {
            }

            _socket.Dispose();
        }

        private async Task ReadAsync()
        {
            var buffer = new byte[1 << 20];
            try
            {
                while (true)
                {
                    var length = 0;
                    ValueWebSocketReceiveResult result;
                    do
                    {
                        result = await _socket.ReceiveAsync(buffer.AsMemory(length), CancellationToken.None);
                        length += result.Count;
                    }
                    while (!result.EndOfMessage);

                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        break;
                    }

                    var received = Interlocked.Add(ref _received, Count(buffer.AsSpan(0, length)));
                    FramesRead++;
                    if (received >= Volatile.Read(ref _target))
                    {
                        Volatile.Read(ref _reached).TrySetResult();
                    }
                }
            }
            catch (WebSocketException)
            {
            }

            Volatile.Read(ref _reached).TrySetException(new InvalidOperationException("The connection ended before the events expected arrived."));
        }

        private int Count(ReadOnlySpan<byte> frame)
        {
            if (frame.StartsWith("{\"type\":\"event\""u8))
            {
                Record(frame);
                return 1;
            }

            if (!frame.StartsWith("{\"type\":\"batch\""u8))
            {
                return 0;
            }

            var reader = new Utf8JsonReader(frame);
            reader.Read();
            while (reader.Read() && !(reader.TokenType == JsonTokenType.PropertyName && reader.ValueTextEquals("count"u8)))
            {
            }

            reader.Read();
            var events = reader.GetInt32();
            Record(frame);
            return events;
        }

        /// <summary>The age of every event in the frame, from its timestamp.</summary>
        private void Record(ReadOnlySpan<byte> frame)
        {
            if (_latencies is null)
            {
                return;
            }

            var now = DateTimeOffset.UtcNow;
            var reader = new Utf8JsonReader(frame);
            var depth = frame.StartsWith("{\"type\":\"event\""u8) ? 1 : 3;
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == depth && reader.ValueTextEquals("timestamp"u8))
                {
                    reader.Read();
                    _latencies.Add((now - reader.GetDateTimeOffset()).TotalMilliseconds);
                }
            }
        }
    }

    private sealed class CountingStream(Stream inner, Action<int> counted) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override void Flush() => inner.Flush();

        public override int Read(byte[] buffer, int offset, int count)
        {
            var read = inner.Read(buffer, offset, count);
            counted(read);
            return read;
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await inner.ReadAsync(buffer, cancellationToken);
            counted(read);
            return read;
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => inner.WriteAsync(buffer, cancellationToken);

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
